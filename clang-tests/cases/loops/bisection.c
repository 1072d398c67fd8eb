// Bisection with a data-dependent stopping rule. (1) The bracket [0, x] scales with x and the
// root of t^2 = 0.3 x^2 is found, so the result is c*x with c a dyadic combination decided by the
// comparisons: the program's derivative is exactly r/x, and sin(r)*x has derivative
// cos(r) (r/x) x + sin(r). (2) Bisection to a coarse bracket then three Newton steps for
// t^3 + t = a: the derivative converges to the implicit 1/(3 r^2 + 1).
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double bisect_scaled(double x) { // x > 0
  double lo = 0.0, hi = x;
  int it = 0;
  while (hi - lo > 1e-13 * x && it < 200) {
    double mid = 0.5 * (lo + hi);
    if (mid * mid - 0.3 * x * x > 0.0)
      hi = mid;
    else
      lo = mid;
    it++;
  }
  double r = 0.5 * (lo + hi);
  return sin(r) * x;
}

double bisect_newton(double a) {
  double lo = -10.0, hi = 10.0;
  while (hi - lo > 1e-3) {
    double mid = 0.5 * (lo + hi);
    if (mid * mid * mid + mid - a > 0.0)
      hi = mid;
    else
      lo = mid;
  }
  double t = 0.5 * (lo + hi);
  for (int k = 0; k < 3; k++)
    t -= (t * t * t + t - a) / (3.0 * t * t + 1.0);
  return t;
}

int main(void) {
  static const double xs[] = {0.3, 1.0, 2.5, 7.0};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    double r = sqrt(0.3) * x;
    double want = cos(r) * sqrt(0.3) * x + sin(r);
    CHECK_CLOSE_AT("reverse bisect_scaled", x, __enzyme_autodiff((void *)bisect_scaled, x), want, 1e-9, 1e-12);
    CHECK_CLOSE_AT("forward bisect_scaled", x, __enzyme_fwddiff((void *)bisect_scaled, x, 1.0), want, 1e-9, 1e-12);
    CHECK_CLOSE_AT("oracle: finite differences", x, want, fd1(bisect_scaled, x), 1e-5, 1e-8);
  }
  static const double as[] = {-20.0, -1.0, 0.3, 2.0, 50.0};
  for (unsigned i = 0; i < COUNT_OF(as); i++) {
    double a = as[i];
    double t = bisect_newton(a);
    CHECK_CLOSE_AT("primal: t^3 + t = a", a, t * t * t + t, a, 1e-12, 1e-12);
    double want = 1.0 / (3.0 * t * t + 1.0);
    CHECK_CLOSE_AT("reverse bisect_newton vs implicit derivative", a, __enzyme_autodiff((void *)bisect_newton, a), want, 1e-9, 1e-12);
    CHECK_CLOSE_AT("forward bisect_newton vs implicit derivative", a, __enzyme_fwddiff((void *)bisect_newton, a, 1.0), want, 1e-9, 1e-12);
  }
  return check_report();
}
