// A constant zero partial (floor, ceil, trunc, round, rint, nearbyint, logb) meeting an infinite
// adjoint or tangent: `cbrt(floor(u))` where floor(u) = 0, so cbrt's partial there is infinite
// and the floor's (constant zero) partial multiplied it, `0 * inf = NaN`, in reverse mode, and in
// forward mode at -O0 (found by ferment-fuzz --variant clamp, reduced in
// fuzz/found/clamp_zero_partials.c). The rounded value is constant near the point, so it adds
// nothing to the derivative. Oracles: the analytic derivative (only the `+ k x` term counts),
// central finite differences, forward against reverse; at x = -0.6, where each rounded value is
// exactly 0. A run-time zero factor
// (`(double)(m % 2) * g(x)`): zero_factor_infinite_adjoint.c.
#include "check.h"

double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff(void *, ...);

static double u(double x) { return 0.5 + 0.2 * tanh(x); } /* in (0.3, 0.7) near x = -0.6 */

static double fl(double x) { return cbrt(floor(u(x))) + 2.0 * x; }
static double ce(double x) { return sqrt(1.0 - ceil(u(x))) / (1.0 + x * x) + 3.0 * x; }
static double tr(double x) { return pow(trunc(u(x)), 0.75) + x; }
static double ro(double x) { return cbrt(round(u(x) - 0.2)) + x; }
static double ri(double x) { return pow(rint(u(x)), 1.0 / 3.0) + 4.0 * x; }
static double ne(double x) { return exp(-1.0 / nearbyint(u(x))) - x; }
static double chain(double x) {
  double z = floor(u(x));
  return cbrt(z) * cbrt(z) + x * exp(z);
}

static void check(const char *what, double (*g)(double), double want) {
  const double x = -0.6, h = 1e-6;
  double fd = (g(x + h) - g(x - h)) / (2.0 * h);
  CHECK_CLOSE(what, fd, want, 1e-6, 1e-8);
  double fwd = __enzyme_fwddiff((void *)g, x, 1.0);
  double rev = __enzyme_autodiff((void *)g, x);
  CHECK_CLOSE(what, fwd, want, 1e-12, 1e-14);
  CHECK_CLOSE(what, rev, want, 1e-12, 1e-14);
  CHECK_CLOSE(what, fwd, rev, 1e-12, 1e-14);
}

int main(void) {
  check("cbrt(floor(u))", fl, 2.0);
  check("sqrt(1 - ceil(u))", ce, 3.0);
  check("pow(trunc(u), 0.75)", tr, 1.0);
  check("cbrt(round(u - 0.2))", ro, 1.0);
  check("pow(rint(u), 1/3)", ri, 4.0);
  check("exp(-1 / nearbyint(u))", ne, -1.0);
  check("cbrt(floor(u))^2 + x exp(floor(u))", chain, 1.0);
  return check_report();
}
