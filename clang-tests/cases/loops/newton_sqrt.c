// While loops with a data-dependent exit: Newton's iteration for sqrt(a) until the residual is
// tiny (the iteration count depends on a), and Newton for cbrt with an iteration cap and break.
// Oracles: the derivative of the iteration itself, accumulated by hand (tight), and the analytic
// derivative of the converged root, 1/(2 sqrt a) and 1/(3 cbrt(a)^2) (loose).
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double newton_sqrt(double a) {
  double x = a > 1.0 ? a : 1.0;
  while (fabs(x * x - a) > 1e-15 * a)
    x = 0.5 * (x + a / x);
  return x;
}
static double newton_sqrt_hand(double a, int *iters) { // same iteration, derivative alongside
  double x = a > 1.0 ? a : 1.0, dx = a > 1.0 ? 1.0 : 0.0;
  *iters = 0;
  while (fabs(x * x - a) > 1e-15 * a) {
    dx = 0.5 * (dx + 1.0 / x - a * dx / (x * x));
    x = 0.5 * (x + a / x);
    ++*iters;
  }
  return dx;
}

double newton_cbrt(double a) {
  double x = 1.0;
  for (int it = 0; it < 200; it++) {
    double nx = x - (x * x * x - a) / (3.0 * x * x);
    if (fabs(nx - x) <= 1e-15 * fabs(nx))
      break;
    x = nx;
  }
  return x;
}

int main(void) {
  static const double as[] = {0.01, 0.5, 2.0, 10.0, 12345.0};
  for (unsigned i = 0; i < COUNT_OF(as); i++) {
    double a = as[i];
    int iters;
    double hand = newton_sqrt_hand(a, &iters);
    CHECK_TRUE("several iterations ran", iters >= 3);
    CHECK_CLOSE_AT("oracle: hand iteration derivative vs 1/(2 sqrt a)", a, hand, 0.5 / sqrt(a), 1e-7, 0);
    CHECK_CLOSE_AT("oracle: 1/(2 sqrt a) vs finite differences", a, 0.5 / sqrt(a), fd1(newton_sqrt, a), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse newton_sqrt vs hand iteration", a, __enzyme_autodiff((void *)newton_sqrt, a), hand, 1e-12, 0);
    CHECK_CLOSE_AT("forward newton_sqrt vs hand iteration", a, __enzyme_fwddiff((void *)newton_sqrt, a, 1.0), hand, 1e-12, 0);
    double c = cbrt(a), want = 1.0 / (3.0 * c * c);
    CHECK_CLOSE_AT("reverse newton_cbrt", a, __enzyme_autodiff((void *)newton_cbrt, a), want, 1e-7, 0);
    CHECK_CLOSE_AT("forward newton_cbrt", a, __enzyme_fwddiff((void *)newton_cbrt, a, 1.0), want, 1e-7, 0);
  }
  return check_report();
}
