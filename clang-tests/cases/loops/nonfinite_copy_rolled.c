// Gauss-Seidel sweeps in place over a run-time number of points, x = (u + c s) * inv with the
// quotient inv = 1 / (1 + 4 c) before the loops, their result discarded by a select at the
// quotient's pole c = -1/4. The reverse loops are copied on the run-time test that inv is
// finite (the loaded-guard test `o - o == 0`); the copy that runs where it fails keeps the
// guards and stays a rolled scalar loop nest (not vectorized, not unrolled), and must still give
// the discarded x's products zero, not inf * 0 = NaN. n = 37 runs vector bodies and remainders
// in the other copy. Oracles: the analytic derivative at the pole (d/du_i = 2 u_i, d/dc = 0),
// central finite differences away from it, forward mode against reverse mode.
#include "check.h"
#include <stdlib.h>

extern int enzyme_const, enzyme_dup;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define N 37
static volatile long n_points = N;

__attribute__((noinline)) static double sweeps(const double *u, double c, long n) {
  double *x = malloc(sizeof(double) * n);
  double inv = 1 / (1 + 4 * c);
  for (long i = 0; i < n; i++)
    x[i] = u[i];
  for (int it = 0; it < 3; it++)
    for (long i = 0; i < n; i++) {
      double s = 0;
      if (i > 0) s += x[i - 1];
      if (i < n - 1) s += x[i + 1];
      x[i] = (u[i] + c * s) * inv;
    }
  double t = 0, q = 0;
  for (long i = 0; i < n; i++) {
    t += x[i] * x[i];
    q += u[i] * u[i];
  }
  free(x);
  return q + (c != -0.25 ? t : 0.0);
}

static double fd_u(double *u, double c, long n, int i) {
  double ui = u[i];
  u[i] = ui + 1e-6;
  double p = sweeps(u, c, n);
  u[i] = ui - 1e-6;
  double m = sweeps(u, c, n);
  u[i] = ui;
  return (p - m) / 2e-6;
}

static void check_at(double *u, double c, int pole) {
  long n = n_points;
  double du[N] = {0}, tu[N] = {0};
  double dc = __enzyme_autodiff((void *)sweeps, enzyme_dup, u, du, c, enzyme_const, n);
  for (int i = 0; i < N; i++) {
    double want = pole ? 2 * u[i] : fd_u(u, c, n, i);
    CHECK_CLOSE_AT("reverse d/du_i", c, du[i], want, RTOL_FD, ATOL_FD);
  }
  double wc = pole ? 0.0 : (sweeps(u, c + 1e-6, n) - sweeps(u, c - 1e-6, n)) / 2e-6;
  CHECK_CLOSE_AT("reverse d/dc", c, dc, wc, RTOL_FD, ATOL_FD);
  double fc = __enzyme_fwddiff((void *)sweeps, enzyme_dup, u, tu, c, 1.0, enzyme_const, n);
  CHECK_CLOSE_AT("forward d/dc", c, fc, dc, RTOL_D, ATOL_D);
  tu[5] = 1.0;
  double fu = __enzyme_fwddiff((void *)sweeps, enzyme_dup, u, tu, c, 0.0, enzyme_const, n);
  CHECK_CLOSE_AT("forward d/du_5", c, fu, du[5], RTOL_D, ATOL_D);
}

int main(void) {
  double u[N];
  for (int i = 0; i < N; i++)
    u[i] = 0.3 + 0.05 * i - 0.002 * i * i;
  check_at(u, -0.25, 1);
  check_at(u, 0.2, 0);
  check_at(u, -0.1, 0);
  return check_report();
}
