// A helper with a stack scratch buffer of run-time size (alloca), inlined into the function
// differentiated: the inliner brackets its body with stacksave/stackrestore, which ends the
// buffer's life (and its shadow's) before the reverse sweep reads them. Also a C99
// variable-length array in a block scope. Oracles: central finite differences.
#include "check.h"
#include <alloca.h>

double __enzyme_autodiff(void *, ...);

static double scaled_energy(const double *x, long n, double c) {
  double *t = (double *)alloca((size_t)n * sizeof(double));
  for (long i = 0; i < n; i++) t[i] = c * sin(x[i]);
  double s = 0;
  for (long i = 0; i < n; i++) s += t[i] * t[(i + 1) % n];
  return s;
}

static double f(const double *x, const void *ctx) {
  long n = *(const long *)ctx;
  double s = scaled_energy(x, n, 2.0) + scaled_energy(x, n, 0.5);
  {
    double v[n];
    for (long i = 0; i < n; i++) v[i] = x[i] * x[n - 1 - i];
    for (long i = 0; i < n; i++) s += v[i] * v[i];
  }
  return s;
}

__attribute__((noinline)) double entry(const double *x, long n) { return f(x, &n); }

int main(void) {
  enum { N = 6 };
  long n = N;
  double x[N], dx[N] = {0};
  for (int i = 0; i < N; i++) x[i] = 0.4 * i - 1.1;
  __enzyme_autodiff((void *)entry, x, dx, n);
  CHECK_GRAD_FD("alloca scratch in inlined helpers, VLA", f, &n, x, N, dx, RTOL_FD, ATOL_FD);
  return check_report();
}
