// Forward mode of Enzyme's fixed-point loops (enzyme/fixed_point.h): the loop runs to its end,
// then the tangent of one step is iterated at the final state from zero (the tangent of the
// initial guess has no effect) until it converges, the primal state restored after each pass.
// A control function (Tapenade's protocol) is called with -1 before the first pass and with the
// squared norm of the tangent's change after each; enzyme_fp_max_iters limits the passes.
// Oracles: the analytic derivative of square roots by Heron's method (whose step has zero
// derivative in the state at the root: two passes, three calls of the control function);
// central finite differences of a contraction; one pass = the step's derivative in p alone.
#include "check.h"
#include <enzyme/fixed_point.h>
#include <string.h>

double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;

#define N 4

// Heron's iteration for square roots, one component per entry.
static int heron(int64_t i, double *x, const double *a, const double *tol) {
  (void)i;
  int more = 0;
  for (int k = 0; k < N; k++) {
    double y = 0.5 * (x[k] + a[k] / x[k]);
    more |= fabs(y - x[k]) > *tol * y;
    x[k] = y;
  }
  return more;
}

// Tapenade's protocol: -1 announces the first pass; afterwards go on while the squared change
// is above 1e-20 of the first one.
static int calls;
static double first_change;
static int control(double *cumul, double *reduction) {
  (void)reduction;
  calls++;
  if (*cumul < 0)
    return 1;
  if (calls == 2)
    first_change = *cumul;
  return *cumul > 1e-20 * first_change;
}

static void roots(double *x, const double *a, const double *tol) {
  for (int k = 0; k < N; k++) x[k] = a[k];
  __enzyme_fixed_point((void *)heron, enzyme_fp_state, x, (int64_t)(N * sizeof(double)),
                       enzyme_fp_control, control, x, a, tol);
}

// A contraction: z_k = 0.5 cos(z_k + z_{k+1}) + 0.25 p_k z_{k-1} + p_k.
static int contract(int64_t i, double *z, const double *p, const double *tol) {
  (void)i;
  double t[N], diff = 0;
  for (int k = 0; k < N; k++) {
    double prev = k > 0 ? z[k - 1] : 0, next = k + 1 < N ? z[k + 1] : 0;
    t[k] = 0.5 * cos(z[k] + next) + 0.25 * p[k] * prev + p[k];
  }
  for (int k = 0; k < N; k++) {
    diff = fmax(diff, fabs(t[k] - z[k]));
    z[k] = t[k];
  }
  return diff > *tol;
}
static void solve(double *z, const double *p, const double *tol) {
  for (int k = 0; k < N; k++) z[k] = 0;
  __enzyme_fixed_point((void *)contract, enzyme_fp_state, z, (int64_t)(N * sizeof(double)),
                       enzyme_fp_reduction, 1e-28, z, p, tol);
}
static void solve_once(double *z, const double *p, const double *tol) {
  for (int k = 0; k < N; k++) z[k] = 0;
  __enzyme_fixed_point((void *)contract, enzyme_fp_state, z, (int64_t)(N * sizeof(double)),
                       enzyme_fp_max_iters, (int64_t)1, z, p, tol);
}

int main(void) {
  double tol = 1e-15;
  double x[N], a[N] = {2, 3, 5, 10}, dx[N] = {5, 5, 5, 5}, da[N] = {1, -1, 0.5, 2};
  __enzyme_fwddiff((void *)roots, enzyme_dup, x, dx, enzyme_dup, a, da, enzyme_const, &tol);
  for (int k = 0; k < N; k++) {
    CHECK_CLOSE("Heron: the root", x[k], sqrt(a[k]), 1e-14, 1e-14);
    CHECK_CLOSE("Heron: d root / d a (analytic)", dx[k], da[k] / (2 * sqrt(a[k])), 1e-12, 1e-14);
  }
  CHECK_TRUE("Heron: the control function is called three times", calls == 3);

  double z[N], p[N] = {0.3, -0.2, 0.5, 0.1}, dz[N] = {7, 7, 7, 7}, dp[N] = {1, 0.5, -1, 2};
  __enzyme_fwddiff((void *)solve, enzyme_dup, z, dz, enzyme_dup, p, dp, enzyme_const, &tol);
  double z0[N];
  solve(z0, p, &tol);
  CHECK_TRUE("contraction: the state after the tangent is the loop's", memcmp(z, z0, sizeof z) == 0);
  double h = 1e-6, zp[N], zm[N], pp[N], pm[N];
  for (int k = 0; k < N; k++) {
    pp[k] = p[k] + h * dp[k];
    pm[k] = p[k] - h * dp[k];
  }
  solve(zp, pp, &tol);
  solve(zm, pm, &tol);
  for (int k = 0; k < N; k++)
    CHECK_CLOSE("contraction: tangent vs FD", dz[k], (zp[k] - zm[k]) / (2 * h), RTOL_FD, ATOL_FD);

  double z1[N], dz1[N] = {3, 3, 3, 3};
  __enzyme_fwddiff((void *)solve_once, enzyme_dup, z1, dz1, enzyme_dup, p, dp, enzyme_const, &tol);
  for (int k = 0; k < N; k++) {
    double prev = k > 0 ? z1[k - 1] : 0;
    CHECK_CLOSE("one pass: d phi / d p at the final state", dz1[k], (0.25 * prev + 1) * dp[k],
                RTOL_D, ATOL_D);
  }
  return check_report();
}
