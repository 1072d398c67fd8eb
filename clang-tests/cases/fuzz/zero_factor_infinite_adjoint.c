// A run-time zero factor under a function whose partial is infinite where its value is finite
// (found by ferment-fuzz --variant clamp, seed 1000425; fuzz/found/clamp_zero_partials.c):
// `cbrt((double)(m % 2) * g(x))` with m even. The product is exactly 0 for every x, so g(x) has
// no influence, but reverse mode multiplied cbrt'(0) = inf by the partial `m % 2 = 0` (NaN), and
// forward mode multiplied the zero partial by an infinite tangent in the mirror shapes
// (`k * cbrt(u)` with u = 0, where reverse mode met a zero adjoint with the infinite partial).
// Also pow(., 0.75), asin at 1, a quotient, through an array, and the factor in a sum. Oracles:
// the analytic derivative (only the `+ c x` terms count: the zero-factor terms are constant),
// central finite differences at the point (the terms stay constant nearby), forward against
// reverse; at x = -0.6, and at x = 0.4 where nothing is infinite (the k = 1 versions, checked
// against finite differences there).
#include "check.h"

double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff(void *, ...);

static volatile int parity = 2; /* even: the factor is 0 */

static double kf(void) { return (double)(parity % 2); }

static double inside(double x) { return cbrt(kf() * (1.0 + 0.5 * sin(x))) + x; }
static double outside(double x) { return kf() * cbrt(exp(x) - exp(-0.6)) + 2.0 * x; }
static double sum(double x) {
  double k = kf();
  return cbrt(k * sin(x) + k * cos(x)) - x;
}
static double power(double x) { return pow(kf() * exp(x), 0.75) + 3.0 * x; }
static double arcsin(double x) { return asin(1.0 - kf() * (x * x)) + x; }
static double quotient(double x) { return cbrt(kf() * sin(x) / (2.0 + cos(x))) + 0.5 * x; }
static double array(double x) {
  double b[3], k = kf();
  for (int i = 0; i < 3; i++)
    b[i] = k * (i + sin(x));
  double s = x;
  for (int i = 0; i < 3; i++)
    s += cbrt(b[i]);
  return s;
}

/* Kept as calls in the -ferment-no-inline copy of this test: the infinite adjoint of `scaled`'s
   result, and the infinite tangent `root` returns, cross the call. */
static double scaled(double k, double g) { return k * g; }
static double root(double u) { return cbrt(u); }
static double callee_factor(double x) { return cbrt(scaled(kf(), 1.0 + sin(x))) + x; }
static double callee_root(double x) { return kf() * root(exp(x) - exp(-0.6)) - 2.0 * x; }

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

/* With an odd parity the factor is 1 and nothing is infinite at x = 0.4: the derivatives are
   the ordinary ones (finite differences), so the guards change nothing there. */
static void check_odd(const char *what, double (*g)(double)) {
  const double x = 0.4, h = 1e-6;
  double fd = (g(x + h) - g(x - h)) / (2.0 * h);
  double fwd = __enzyme_fwddiff((void *)g, x, 1.0);
  double rev = __enzyme_autodiff((void *)g, x);
  CHECK_CLOSE(what, fwd, fd, 1e-6, 1e-8);
  CHECK_CLOSE(what, rev, fd, 1e-6, 1e-8);
  CHECK_CLOSE(what, fwd, rev, 1e-12, 1e-14);
}

int main(void) {
  check("cbrt(0 * g(x))", inside, 1.0);
  check("0 * cbrt(u) at u = 0", outside, 2.0);
  check("cbrt(0 * g + 0 * h)", sum, -1.0);
  check("pow(0 * g(x), 0.75)", power, 3.0);
  check("asin(1 - 0 * x^2)", arcsin, 1.0);
  check("cbrt(0 * g / h)", quotient, 0.5);
  check("cbrt of an array of zero products", array, 1.0);
  check("cbrt(scaled(0, g(x)))", callee_factor, 1.0);
  check("0 * root(u) at u = 0", callee_root, -2.0);
  parity = 3;
  check_odd("cbrt(g(x))", inside);
  check_odd("cbrt(u) away from 0", outside);
  check_odd("cbrt(g + h)", sum);
  check_odd("pow(g(x), 0.75)", power);
  check_odd("cbrt(g / h)", quotient);
  check_odd("cbrt of an array", array);
  check_odd("cbrt(scaled(1, g(x)))", callee_factor);
  return check_report();
}
