// A cyclic shift built from two memcpy pieces whose lengths and offsets are computed from a
// runtime shift (as flang's inlined CSHIFT does): r = rotate(x, s) with s reduced modulo n,
// negative shifts included, into a heap buffer, then f = sum r_i x_i + sum rotate(x, -1)_i x_i^2.
// Reverse mode against central finite differences and the analytic gradient, forward mode
// against the gradient (dot-product test).
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static void rotate(double *r, const double *x, long n, long s) {
  long k = s % n;
  if (k < 0)
    k += n;
  // r[i] = x[(i + k) mod n]: r[0 .. n-k) = x[k .. n), r[n-k .. n) = x[0 .. k)
  memcpy(r, x + k, (size_t)(n - k) * sizeof(double));
  memcpy(r + (n - k), x, (size_t)k * sizeof(double));
}

double shifted(const double *x, long n, long s) {
  double *r = (double *)malloc((size_t)n * sizeof(double));
  double *q = (double *)malloc((size_t)n * sizeof(double));
  rotate(r, x, n, s);
  rotate(q, x, n, -1);
  double f = 0.0;
  for (long i = 0; i < n; i++)
    f += r[i] * x[i] + q[i] * x[i] * x[i];
  free(r);
  free(q);
  return f;
}

struct args {
  long n, s;
};
static double shifted_packed(const double *x, const void *ctx) {
  const struct args *a = (const struct args *)ctx;
  return shifted(x, a->n, a->s);
}

static long wrap(long i, long n) { return ((i % n) + n) % n; }

int main(void) {
  static const long ns[] = {1, 2, 6, 9};
  static const long shifts[] = {-7, -1, 0, 2, 5, 13};
  double x[9];
  unsigned st = 7;
  for (int i = 0; i < 9; i++)
    x[i] = prand(&st);
  char what[128];
  for (unsigned a = 0; a < COUNT_OF(ns); a++)
    for (unsigned b = 0; b < COUNT_OF(shifts); b++) {
      long n = ns[a], s = shifts[b];
      struct args ctx = {n, s};
      double want[9] = {0}, dx[9] = {0}, v[9];
      // d/dx_j: x_{j+s} + x_{j-s} + x_{j+1}^2 + 2 x_{j-1} x_j (indices mod n, terms summed)
      for (long j = 0; j < n; j++) {
        want[wrap(j + s, n)] += x[j];
        want[j] += x[wrap(j + s, n)];
        want[wrap(j - 1, n)] += x[j] * x[j];
        want[j] += 2.0 * x[wrap(j - 1, n)] * x[j];
      }
      snprintf(what, sizeof what, "oracle n=%ld s=%ld", n, s);
      CHECK_GRAD_FD(what, shifted_packed, &ctx, x, (int)n, want, RTOL_FD, ATOL_FD);
      __enzyme_autodiff((void *)shifted, x, dx, n, s);
      snprintf(what, sizeof what, "reverse n=%ld s=%ld", n, s);
      CHECK_ARRAY_CLOSE(what, dx, want, 9, RTOL_D, ATOL_D);
      for (int i = 0; i < 9; i++)
        v[i] = prand(&st);
      snprintf(what, sizeof what, "forward n=%ld s=%ld vs gradient . direction", n, s);
      CHECK_CLOSE(what, __enzyme_fwddiff((void *)shifted, x, v, n, s), dotv(want, v, (int)n),
                  RTOL_D, ATOL_D);
    }
  return check_report();
}
