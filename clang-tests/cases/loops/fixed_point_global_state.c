// A fixed point whose state and parameters are globals (as Fortran codes keep them in COMMON
// blocks): __enzyme_fixed_point lists the global state, and the step reads the globals
// directly. The reverse gradient used to lose everything that flowed through the loop (the
// loop stayed a call, whose derivative did not know the caller's globals held active data).
// u_k = 0.3 tanh(u_k + 0.7 u_{k+1}) + 0.2 p_k u_{k+2} + p_k, iterated to machine precision,
// then L = sum_k sin(u_k) p_k + u_k^2 / 2, with u overwritten after it is read.
// Forward mode differentiates the fixed-point loop as a whole (its step's tangent iterated at
// the final state): the caller's globals' tangents are carried into it (it used to be an error).
// Oracles: central finite differences of the plain loop; the same loop without the marker;
// forward vs reverse (dot product); forward against the analytic 2x2 tangent below.
#include "check.h"
#include <enzyme/fixed_point.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;

#define N 5
double u[N], p[N];

__attribute__((noinline)) static int step(int64_t i, const double *tol) {
  double t[N], err = 0.0;
  for (int k = 0; k < N; k++)
    t[k] = 0.3 * tanh(u[k] + 0.7 * u[(k + 1) % N]) + 0.2 * p[k] * u[(k + 2) % N] + p[k];
  for (int k = 0; k < N; k++) {
    err = fmax(err, fabs(t[k] - u[k]));
    u[k] = t[k];
  }
  return err > *tol && i < 500;
}

static void setup(const double *x) {
  for (int k = 0; k < N; k++) {
    u[k] = 0.0;
    p[k] = x[k];
  }
}

static double finish(void) {
  double s = 0.0;
  for (int k = 0; k < N; k++) {
    s += sin(u[k]) * p[k];
    u[k] = 0.5 * u[k] * u[k];
  }
  for (int k = 0; k < N; k++)
    s += u[k];
  return s;
}

double plain(const double *x, const double *tol) {
  setup(x);
  int64_t i = 0;
  while (step(i++, tol))
    ;
  return finish();
}

double fixed(const double *x, const double *tol) {
  setup(x);
  __enzyme_fixed_point((void *)step, enzyme_fp_state, u, (int64_t)sizeof u, enzyme_fp_reduction,
                       1e-30, tol);
  return finish();
}

/* The 2x2 fixed point u = 0.3 u_k u_{1-k} + p_k, L = u_0 + u_1: forward tangent along p_0
   (analytic value from the implicit function theorem, (I - J)^{-1} e_0 summed, at the fixed point
   of p = (0.1, 0.15)). */
double v2[2], q2[2];
__attribute__((noinline)) static int step2(int64_t i, const double *tol) {
  double t[2], err = 0.0;
  for (int k = 0; k < 2; k++)
    t[k] = 0.3 * v2[k] * v2[1 - k] + q2[k];
  for (int k = 0; k < 2; k++) {
    err = fmax(err, fabs(t[k] - v2[k]));
    v2[k] = t[k];
  }
  return err > *tol && i < 500;
}
static double fixed2(const double *x, const double *tol) {
  for (int k = 0; k < 2; k++) {
    v2[k] = 0.0;
    q2[k] = x[k];
  }
  __enzyme_fixed_point((void *)step2, enzyme_fp_state, v2, (int64_t)sizeof v2, enzyme_fp_reduction,
                       1e-30, tol);
  return v2[0] + v2[1];
}
static double two_by_two(double a, double b) {
  const double tol = 1e-15;
  double x[2] = {a, b}, t[2] = {1, 0};
  return __enzyme_fwddiff((void *)fixed2, enzyme_dup, x, t, enzyme_const, &tol);
}

static double packed(const double *x, const void *ctx) { return plain(x, (const double *)ctx); }

int main(void) {
  const double tol = 1e-15;
  double x[N] = {0.1, 0.15, -0.2, 0.25, 0.3}, want[N], d0[N] = {0}, d1[N] = {0};
  __enzyme_autodiff((void *)plain, enzyme_dup, x, d0, enzyme_const, &tol);
  __enzyme_autodiff((void *)fixed, enzyme_dup, x, d1, enzyme_const, &tol);
  for (int k = 0; k < N; k++)
    want[k] = d0[k];
  CHECK_GRAD_FD("the plain loop's gradient vs finite differences", packed, &tol, x, N, want, RTOL_FD,
                ATOL_FD);
  CHECK_GRAD_FD("__enzyme_fixed_point's gradient vs finite differences", packed, &tol, x, N, d1,
                RTOL_FD, ATOL_FD);
  CHECK_ARRAY_CLOSE("__enzyme_fixed_point vs the plain loop", d1, d0, N, 1e-12, 1e-14);
  double v[N] = {0.3, -1.0, 0.5, 2.0, -0.7};
  CHECK_CLOSE("forward vs reverse (plain loop)",
              __enzyme_fwddiff((void *)plain, enzyme_dup, x, v, enzyme_const, &tol), dotv(d0, v, N),
              1e-9, 1e-12);
  CHECK_CLOSE("forward vs reverse (__enzyme_fixed_point)",
              __enzyme_fwddiff((void *)fixed, enzyme_dup, x, v, enzyme_const, &tol), dotv(d0, v, N),
              1e-9, 1e-12);
  for (int k = 0; k < N; k++) {
    double e[N] = {0};
    e[k] = 1.0;
    CHECK_CLOSE("forward (__enzyme_fixed_point) vs the plain loop's gradient",
                __enzyme_fwddiff((void *)fixed, enzyme_dup, x, e, enzyme_const, &tol), d0[k], 1e-9,
                1e-12);
  }
  CHECK_CLOSE("2x2 tangent vs its analytic value", two_by_two(0.1, 0.15), 1.1007763920837, 1e-9, 0);
  return check_report();
}
