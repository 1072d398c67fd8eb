// C++ new[]/delete[] and new/delete inside the differentiated function, compiled with
// -fno-exceptions (plain calls of operator new, no invoke): an RAII buffer class template and a
// heap scalar accumulator, and new[] of structs (one Euler step of a spring chain).
// CFLAGS: -fno-exceptions
// RUN: clang opt
#include "check.h"

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

namespace {
template <typename T> struct Buffer {
  T *d;
  int n;
  explicit Buffer(int n_) : d(new T[n_]), n(n_) {}
  ~Buffer() { delete[] d; }
  T &operator[](int i) { return d[i]; }
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
};
} // namespace

double cubic_mix(const double *x, int n) {
  Buffer<double> v(n);
  for (int i = 0; i < n; i++)
    v[i] = x[i] * x[i];
  double *acc = new double(0.0);
  for (int i = 0; i < n; i++)
    *acc += v[i] * x[n - 1 - i];
  double r = *acc;
  delete acc;
  return r;
}

struct Particle {
  double pos, vel;
};
// heap array of structs via new[]: one explicit Euler step of a spring chain, returns energy
double spring_energy(const double *x, int n) {
  Particle *ps = new Particle[n];
  for (int i = 0; i < n; i++)
    ps[i] = Particle{x[i], 0.5 * x[i] * x[i]};
  for (int i = 0; i < n; i++)
    ps[i].pos += 0.1 * ps[i].vel;
  double e = 0.0;
  for (int i = 1; i < n; i++) {
    double d = ps[i].pos - ps[i - 1].pos;
    e += d * d;
  }
  delete[] ps;
  return e;
}

static double cubic_packed(const double *x, const void *ctx) { return cubic_mix(x, *(const int *)ctx); }
static double spring_packed(const double *x, const void *ctx) { return spring_energy(x, *(const int *)ctx); }

int main() {
  const int n = 7;
  double x[n];
  unsigned s = 5;
  for (int i = 0; i < n; i++)
    x[i] = prand(&s);
  double dx[n] = {0}, want[n], tx[n];
  for (int j = 0; j < n; j++)
    want[j] = 2.0 * x[j] * x[n - 1 - j] + x[n - 1 - j] * x[n - 1 - j];
  CHECK_GRAD_FD("oracle: analytic cubic_mix", cubic_packed, &n, x, n, want, RTOL_FD, ATOL_FD);
  __enzyme_autodiff((void *)cubic_mix, x, dx, n);
  CHECK_ARRAY_CLOSE("reverse cubic_mix", dx, want, n, RTOL_D, ATOL_D);
  for (int i = 0; i < n; i++)
    tx[i] = prand(&s);
  CHECK_CLOSE("forward cubic_mix vs gradient . direction", __enzyme_fwddiff((void *)cubic_mix, x, tx, n),
              dotv(want, tx, n), RTOL_D, ATOL_D);

  // spring: p_i = x_i + 0.05 x_i^2, e = sum (p_i - p_{i-1})^2
  double ds[n] = {0}, want2[n] = {0};
  for (int i = 1; i < n; i++) {
    double d = (x[i] + 0.05 * x[i] * x[i]) - (x[i - 1] + 0.05 * x[i - 1] * x[i - 1]);
    want2[i] += 2.0 * d * (1.0 + 0.1 * x[i]);
    want2[i - 1] -= 2.0 * d * (1.0 + 0.1 * x[i - 1]);
  }
  CHECK_GRAD_FD("oracle: analytic spring", spring_packed, &n, x, n, want2, RTOL_FD, ATOL_FD);
  __enzyme_autodiff((void *)spring_energy, x, ds, n);
  CHECK_ARRAY_CLOSE("reverse spring (new[] of structs)", ds, want2, n, RTOL_D, ATOL_D);
  CHECK_CLOSE("forward spring vs gradient . direction", __enzyme_fwddiff((void *)spring_energy, x, tx, n),
              dotv(want2, tx, n), RTOL_D, ATOL_D);
  return check_report();
}
