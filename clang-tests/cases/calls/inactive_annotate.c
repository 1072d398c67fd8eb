// A function declared inactive with clang's annotate attribute (the llvm.global.annotations
// string "enzyme_inactive"), or with the "enzyme_inactive" function attribute, propagates no
// derivative: d/dx [frozen(x) * sin(x) + x] = frozen(x) cos(x) + 1, not the product rule.
// Neither function is noinline: the plugin keeps them as calls itself. Reverse and forward.
// Oracle: the analytic derivative with frozen(x) held constant, and finite differences of a
// version where frozen's value is passed in as a constant.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

__attribute__((annotate("enzyme_inactive"))) double frozen(double x) { return x * x + 1.0; }
__attribute__((annotate("enzyme_inactive"))) double frozen_sum(const double *v, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += v[i] * v[i];
  return s;
}

double f(double x) { return frozen(x) * sin(x) + x; }
double g(const double *v, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += frozen_sum(v, n) * v[i];
  return s;
}

static double c_const;
static double f_const(double x) { return c_const * sin(x) + x; }

int main(void) {
  const double xs[] = {-1.3, 0.2, 0.9, 2.4};
  for (unsigned k = 0; k < COUNT_OF(xs); k++) {
    double x = xs[k];
    double want = frozen(x) * cos(x) + 1.0;
    c_const = frozen(x);
    CHECK_CLOSE_AT("oracle: finite differences", x, fd1(f_const, x), want, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse", x, __enzyme_autodiff((void *)f, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward", x, __enzyme_fwddiff((void *)f, x, 1.0), want, RTOL_D, ATOL_D);
  }
  double v[4] = {0.5, -1.0, 2.0, 0.25}, dv[4] = {0};
  __enzyme_autodiff((void *)g, v, dv, 4);
  double c = frozen_sum(v, 4);
  for (int i = 0; i < 4; i++)
    CHECK_CLOSE("reverse through memory", dv[i], c, RTOL_D, ATOL_D);
  return check_report();
}
