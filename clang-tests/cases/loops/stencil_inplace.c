// Explicit time stepping of a nonlinear heat equation IN PLACE over T steps:
//   u_i <- u_i + nu (u_{i-1} - 2 u_i + u_{i+1}) - 0.01 u_i^3   (old left neighbour kept in a scalar)
// The array is overwritten every step, so the reverse sweep needs each step's state from the tape.
// Loss = sum u_i^2 after T steps; gradient with respect to the initial state (shadow of u) and
// to nu (active scalar), checked by finite differences; forward vs reverse.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double heat(double *u, int n, int T, double nu) {
  for (int t = 0; t < T; t++) {
    double left = u[0];
    for (int i = 1; i < n - 1; i++) {
      double c = u[i];
      u[i] = c + nu * (left - 2.0 * c + u[i + 1]) - 0.01 * c * c * c;
      left = c;
    }
  }
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += u[i] * u[i];
  return s;
}

#define N 16
#define T 50
static double g_nu = 0.3;
static double heat_u(const double *u0, const void *c) {
  (void)c;
  double u[N];
  memcpy(u, u0, sizeof u);
  return heat(u, N, T, g_nu);
}
static double heat_nu(double nu) {
  double u[N];
  for (int i = 0; i < N; i++)
    u[i] = sin(0.4 * i) + 0.5;
  return heat(u, N, T, nu);
}

int main(void) {
  double u0[N], u[N], du[N] = {0}, tu[N];
  for (int i = 0; i < N; i++)
    u0[i] = sin(0.4 * i) + 0.5;
  memcpy(u, u0, sizeof u);
  double dnu = __enzyme_autodiff((void *)heat, u, du, enzyme_const, N, enzyme_const, T, g_nu);
  CHECK_GRAD_FD("reverse d loss / d u0", heat_u, NULL, u0, N, du, RTOL_FD, ATOL_FD);
  CHECK_CLOSE("reverse d loss / d nu vs finite differences", dnu, fd1(heat_nu, g_nu), RTOL_FD, ATOL_FD);
  double u1[N];
  memcpy(u1, u0, sizeof u1);
  heat(u1, N, T, g_nu);
  CHECK_ARRAY_CLOSE("primal state after the reverse call", u, u1, N, 1e-14, 1e-14);

  unsigned s = 6;
  for (int i = 0; i < N; i++)
    tu[i] = prand(&s);
  double tdir[N];
  memcpy(tdir, tu, sizeof tdir);
  memcpy(u, u0, sizeof u);
  double t = __enzyme_fwddiff((void *)heat, u, tu, enzyme_const, N, enzyme_const, T, g_nu, 0.5);
  CHECK_CLOSE("forward (du0 = v, dnu = 0.5) vs reverse gradient", t, dotv(du, tdir, N) + 0.5 * dnu, 1e-9, 1e-12);
  return check_report();
}
