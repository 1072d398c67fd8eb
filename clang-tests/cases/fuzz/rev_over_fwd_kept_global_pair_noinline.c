// CFLAGS: -mllvm -ferment-no-inline
// Reverse mode over forward mode with calls kept (`-ferment-no-inline`) of a kernel whose two
// helpers talk through a global: `put` writes `gacc` from the inputs, `get` reads it. The
// first derivative's helpers do the same with the tangent global `gacc.ferment.tangent`: put's
// derivative stores tangents into it, get's reads them. The gradient of the first derivative
// never carried ferment's own globals across its kept calls, so the reverse function of get's
// derivative counted the tangent global as constant memory and dropped its adjoint: wrong at
// -O0..-O3 on main cb56a83 (6 of 9 checks). Tangent globals are now carried like a user's globals
// (`carried_global`), as adjoint globals are (`fwd_over_rev_kept_global_pair_noinline.c`).
// (Forward over forward of the same kernel: fwd_over_fwd_kept_global_noinline.c, where both
// derivatives named their tangent of `gacc` `gacc.ferment.tangent` until session 36.)
// Oracles: central differences of f for the first derivative, central differences of the first
// derivative for the gradient.
#include "check.h"

double __enzyme_fwddiff(void *, ...);
typedef struct {
  double dx, ds;
} Grad2;
Grad2 __enzyme_autodiff(void *, ...);

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
    Grad2 g = __enzyme_autodiff((void *)D, x, s);
    CHECK_CLOSE_AT("reverse over forward, d/dx vs FD of D", k, g.dx, dxx, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse over forward, d/ds vs FD of D", k, g.ds, dxs, RTOL_FD, ATOL_FD);
  }
  return check_report();
}
