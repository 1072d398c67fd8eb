// CFLAGS: -mllvm -ferment-no-inline
// OPEN (session 35). Forward mode over forward mode with calls kept (`-ferment-no-inline`) of a
// kernel whose two helpers talk through a global: `put` writes `gacc` from the inputs, `get`
// reads it. The first derivative's helpers keep their tangents of `gacc` in the tangent global
// `gacc.ferment.tangent`; the second derivative names its own tangent of `gacc` the same
// (`shadow::shadow_global`: one tangent global per global and mode), so put's second
// derivative stores the inner tangent and the outer tangent into one global and get's reads
// the inner one back as the outer one. Right only when the outer direction is the inner one
// (d/dx of d/dx); d/ds of d/dx is wrong at -O0..-O3 (3 of 12 checks on wip35-wrong, 9 of 12 on
// main cb56a83, which also did not carry tangent globals across kept calls). Inlined, the
// values are forwarded in registers and come out right. Reverse over forward is right (the
// adjoint global has a name of its own): `clang-tests/cases/fuzz/rev_over_fwd_kept_global_pair_noinline.c`.
// Oracles: central differences of f for the first derivative, central differences of the first
// derivative for the second.
#include "check.h"

double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff(void *, ...);

static double gacc[2];

__attribute__((noinline)) static void put(double x, double s) {
  gacc[0] = x * s + sin(x);
  gacc[1] = s * x * x;
}

__attribute__((noinline)) static double get(double x) {
  return gacc[0] * gacc[0] * x + gacc[1] * gacc[0];
}

double f(double x, double s) {
  put(x, s);
  return get(x) + x * s * s;
}

// d f / d x by forward mode.
__attribute__((noinline)) static double D(double x, double s) {
  return __enzyme_fwddiff((void *)f, x, 1.0, s, 0.0);
}

int main(void) {
  const double pts[3][2] = {{0.3, -0.5}, {-0.4, 0.7}, {1.1, 0.2}};
  const double e = 1e-6;
  for (int k = 0; k < 3; k++) {
    double x = pts[k][0], s = pts[k][1];
    double d1 = D(x, s);
    CHECK_CLOSE_AT("first derivative vs FD of f", k, d1, (f(x + e, s) - f(x - e, s)) / (2 * e),
                   RTOL_FD, ATOL_FD);
    double dxx = (D(x + e, s) - D(x - e, s)) / (2 * e);
    double dxs = (D(x, s + e) - D(x, s - e)) / (2 * e);
    CHECK_CLOSE_AT("forward over forward, d/dx vs FD of D", k,
                   __enzyme_fwddiff((void *)D, x, 1.0, s, 0.0), dxx, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("forward over forward, d/ds vs FD of D", k,
                   __enzyme_fwddiff((void *)D, x, 0.0, s, 1.0), dxs, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse over forward, d/dx vs FD of D", k, __enzyme_autodiff((void *)D, x, s),
                   dxx, RTOL_FD, ATOL_FD);
  }
  return check_report();
}
