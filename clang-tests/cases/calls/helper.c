// Calls from the differentiated function to helpers with definitions in the same file
// (noinline, external linkage, called several times and nested).
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

__attribute__((noinline)) double helper(double x) { return x * x + sin(x); }
__attribute__((noinline)) double helper2(double x, double y) { return helper(x) * y + helper(y); }
double f(double x) { return helper(x) * helper(2.0 * x) + helper2(x, 3.0); }

static double h(double x) { return x * x + sin(x); }
static double dh(double x) { return 2.0 * x + cos(x); }
static double f_deriv(double x) {
  return dh(x) * h(2.0 * x) + h(x) * 2.0 * dh(2.0 * x) + dh(x) * 3.0;
}

int main(void) {
  static const double xs[] = {-1.4, -0.2, 0.6, 1.9};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    double want = f_deriv(x);
    CHECK_CLOSE_AT("oracle: f' vs finite differences", x, want, fd1(f, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse through helper calls", x, __enzyme_autodiff((void *)f, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward through helper calls", x, __enzyme_fwddiff((void *)f, x, 1.0), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse of the helper itself", x, __enzyme_autodiff((void *)helper, x), dh(x), RTOL_D, ATOL_D);
  }
  return check_report();
}
