// CFLAGS: -mllvm -ferment-no-inline
// Forward mode over forward mode with calls kept (`-ferment-no-inline`) of a kernel whose two
// helpers talk through a global: `put` writes `gacc` from the inputs, `get` reads it. The first
// derivative's helpers keep their tangents of `gacc` in the tangent global
// `gacc.ferment.tangent`. The second derivative named its own tangent of `gacc` the same
// (`shadow::shadow_global`: one tangent global per global and mode), so put's second derivative
// stored the inner tangent and the outer tangent into one global and get's read the inner one
// back as the outer one: right only along the inner direction (d/dx of d/dx); d/ds of d/dx was
// wrong at -O0..-O3 (3 of 12 checks on main 32dae5b). Now each request has a nesting level
// (`DerivativeKey::level`, 2 for the outer request here) and a level above 1 has shadow globals
// of its own (`gacc.ferment.tangent.level2`). Found by the fuzzer (session 35). Reverse over
// forward: `rev_over_fwd_kept_global_pair_noinline.c`; two globals and the other nestings:
// `nested_kept_two_globals_noinline.c`.
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
