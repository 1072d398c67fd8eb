// __enzyme_ignore_derivatives(v) is v without a derivative; __enzyme_call_inactive(f, args...)
// calls f(args...) without a derivative. Both modes; the primal keeps its value. Oracle: the
// analytic derivative with the wrapped value held constant.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
double __enzyme_ignore_derivatives(double);
double __enzyme_call_inactive(void *, ...);

static double scale(double x) { return sin(x) + 3.0; }
static double f(double x) {
  double c = __enzyme_ignore_derivatives(x * 2.0);
  return c * x;
}
static double g(double x) {
  double c = __enzyme_call_inactive((void *)scale, x);
  return c * x * x;
}

int main(void) {
  static const double xs[] = {-0.8, 0.4, 1.5};
  char what[128];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
#define W(s) (snprintf(what, sizeof what, "%s at %g", s, x), what)
    CHECK_CLOSE(W("primal f keeps its value"), f(x), 2.0 * x * x, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse f"), __enzyme_autodiff((void *)f, x), 2.0 * x, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward f"), __enzyme_fwddiff((void *)f, x, 1.0), 2.0 * x, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("primal g keeps its value"), g(x), scale(x) * x * x, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse g"), __enzyme_autodiff((void *)g, x), 2.0 * x * scale(x), RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward g"), __enzyme_fwddiff((void *)g, x, 1.0), 2.0 * x * scale(x), RTOL_D, ATOL_D);
#undef W
  }
  return check_report();
}
