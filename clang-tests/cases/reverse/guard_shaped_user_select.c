// A user's select that looks like a zero-adjoint guard, `t = a == 0 ? 0 : a * b`, under sqrt:
// the reverse sweep's partial of sqrt is `t == 0 ? 0 : 0.5 / sqrt(t)`, a select of the same
// shape (forward mode's too), and `shim::share_guard_tests` rewrote it to test `a == 0` instead
// of `t == 0` (the user's select taken for the first guard of a chain): at `b = 0`, `a != 0` the
// partial became 0.5 / sqrt(0) = inf, and d/da = b * inf = NaN in both modes at -O1..-O3 on main
// 4a6d33b, where g is 0 for every a. Only guards the sweeps mark share a test now. Oracles: central finite
// differences, the analytic b / (2 sqrt(a b)) + 1 where a b > 0, forward mode against reverse.
#include "check.h"

extern int enzyme_const;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double g(double a, double b) {
  double t = (a == 0) ? 0 : a * b;
  return sqrt(t) + (b == 0 ? 0 : t / b);
}

__attribute__((noinline)) static double g_noinline(double a, double b) { return g(a, b); }

static double g_outer(double a, double b) { return 2.0 * g_noinline(a, b) - a; }

int main(void) {
  static const double pts[][2] = {{2.0, 0.0}, {-1.5, 0.0}, {0.5, 0.0}, {2.0, 0.3}, {0.5, 1.2}};
  for (unsigned k = 0; k < COUNT_OF(pts); k++) {
    double a = pts[k][0], b = pts[k][1];
    double r = __enzyme_autodiff((void *)g, a, enzyme_const, b);
    double f = __enzyme_fwddiff((void *)g, a, 1.0, enzyme_const, b);
    double fd = fd2(g, a, b, 0);
    CHECK_CLOSE_AT("reverse g vs fd", a, r, fd, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("forward g vs fd", a, f, fd, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("forward vs reverse g", a, f, r, RTOL_D, ATOL_D);
    if (a * b > 0)
      CHECK_CLOSE_AT("reverse g analytic", a, r, b / (2 * sqrt(a * b)) + 1, RTOL_D, ATOL_D);
    double ro = __enzyme_autodiff((void *)g_outer, a, enzyme_const, b);
    double fo = fd2(g_outer, a, b, 0);
    CHECK_CLOSE_AT("reverse g_outer vs fd", a, ro, fo, RTOL_FD, ATOL_FD);
  }
  return check_report();
}
