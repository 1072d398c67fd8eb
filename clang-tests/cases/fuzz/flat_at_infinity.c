// Exact-zero adjoints that meet an infinite partial in reverse mode (fuzz/found/README.md, "Known,
// not fixed", sessions 23-24): a function flat at an infinite argument (`exp(-1 / z)`,
// `atan(1 / z)`, `tanh(1 / z)` at z = 0) passes back an adjoint of exactly 0, which met the
// quotient's partial 1 / z^2 = inf (NaN). Forward mode was right. Oracles: the analytic
// derivative (at x = 0 every flat term has derivative 0: exp(-1/x^2) and its kin are flat to
// all orders there), central finite differences, forward against reverse; the same functions at
// x = 0.4, where nothing is infinite, against their analytic derivatives and finite differences.
// Main's plugin (6a8397e) fails 10 of 40 checks at -O0..-O3 (reverse NaN).
#include "check.h"

double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff(void *, ...);

static volatile int parity = 2; /* even: the factor is 0 */

static double kf(void) { return (double)(parity % 2); }

static double flat_exp(double x) { return exp(-1.0 / (x * x)) + x; }
static double flat_atan(double x) { return atan(1.0 / (x * x)) - 2.0 * x; }
static double flat_chain(double x) { return exp(-(1.0 / (x * x) + 1.0)) + 3.0 * x; }
static double flat_tanh(double x) { return tanh(1.0 / (x * x)) + 0.5 * x; }
static double flat_factor(double x) {
  double s = kf() * (1.0 + 0.5 * sin(x));
  return exp(-1.0 / (s * s)) + 0.25 * x;
}

static double d_flat_exp(double x) { return x == 0 ? 1.0 : exp(-1.0 / (x * x)) * 2.0 / (x * x * x) + 1.0; }
static double d_flat_atan(double x) { return -2.0 * x / (x * x * x * x + 1.0) - 2.0; }
static double d_flat_chain(double x) {
  return x == 0 ? 3.0 : exp(-(1.0 / (x * x) + 1.0)) * 2.0 / (x * x * x) + 3.0;
}
static double d_flat_tanh(double x) {
  if (x == 0)
    return 0.5;
  double t = tanh(1.0 / (x * x));
  return (1.0 - t * t) * -2.0 / (x * x * x) + 0.5;
}
static double d_flat_factor(double x) {
  double k = kf(), s = k * (1.0 + 0.5 * sin(x));
  return s == 0 ? 0.25 : exp(-1.0 / (s * s)) * 2.0 / (s * s * s) * k * 0.5 * cos(x) + 0.25;
}
static void check(const char *what, double (*g)(double), double (*dg)(double), double x) {
  const double h = 1e-4;
  double want = dg(x);
  double fd = (g(x + h) - g(x - h)) / (2.0 * h);
  CHECK_CLOSE_AT(what, x, fd, want, 1e-6, 1e-8);
  double fwd = __enzyme_fwddiff((void *)g, x, 1.0);
  double rev = __enzyme_autodiff((void *)g, x);
  CHECK_CLOSE_AT(what, x, fwd, want, 1e-12, 1e-14);
  CHECK_CLOSE_AT(what, x, rev, want, 1e-12, 1e-14);
  CHECK_CLOSE_AT(what, x, fwd, rev, 1e-12, 1e-14);
}

int main(void) {
  const double points[] = {0.0, 0.4};
  for (int i = 0; i < 2; i++) {
    double x = points[i];
    check("exp(-1 / x^2)", flat_exp, d_flat_exp, x);
    check("atan(1 / x^2)", flat_atan, d_flat_atan, x);
    check("exp(-(1 / x^2 + 1))", flat_chain, d_flat_chain, x);
    check("tanh(1 / x^2)", flat_tanh, d_flat_tanh, x);
  }
  check("exp(-1 / s^2), s = 0 * g(x)", flat_factor, d_flat_factor, -0.6);
  parity = 3;
  check("exp(-1 / s^2), s = g(x)", flat_factor, d_flat_factor, 0.4);
  return check_report();
}
