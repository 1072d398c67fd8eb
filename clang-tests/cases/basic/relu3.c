// relu3(x) = x > 0 ? x^3 : 0 at points on both branches; reverse and forward.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double relu3(double x) {
  if (x > 0)
    return pow(x, 3);
  return 0;
}

int main(void) {
  static const double xs[] = {-2.0, -0.5, -1e-3, 1e-3, 0.25, 1.0, 3.0};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    double want = x > 0 ? 3.0 * x * x : 0.0;
    if (fabs(x) > 1e-2) // FD straddles the kink near 0
      CHECK_CLOSE_AT("oracle: analytic vs finite differences", x, want, fd1(relu3, x), RTOL_FD, ATOL_FD);
    double r = __enzyme_autodiff((void *)relu3, x);
    CHECK_CLOSE_AT("reverse relu3", x, r, want, RTOL_D, ATOL_D);
    double t = __enzyme_fwddiff((void *)relu3, x, 1.0);
    CHECK_CLOSE_AT("forward relu3", x, t, want, RTOL_D, ATOL_D);
    double t2 = __enzyme_fwddiff((void *)relu3, x, 0.5);
    CHECK_CLOSE_AT("forward relu3 dx=0.5 vs 0.5*reverse", x, t2, 0.5 * r, RTOL_D, ATOL_D);
  }
  return check_report();
}
