// Nested differentiation: a differentiated function that itself calls __enzyme_autodiff or
// __enzyme_fwddiff (forward-over-reverse, reverse-over-reverse, reverse-over-forward), and the
// classic perturbation-confusion test d/dx [ x * d/dy (x * y) ] = d/dx [ x * x ] = 2x.
// Oracles: analytic second derivatives and central finite differences of the inner derivative.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double cube_sin(double x) { return x * x * x + sin(x); }
static double d_rev(double x) { return __enzyme_autodiff((void *)cube_sin, x); }
static double d_fwd(double x) { return __enzyme_fwddiff((void *)cube_sin, x, 1.0); }
static double fwd_over_rev(double x) { return __enzyme_fwddiff((void *)d_rev, x, 1.0); }
static double rev_over_rev(double x) { return __enzyme_autodiff((void *)d_rev, x); }
static double rev_over_fwd(double x) { return __enzyme_autodiff((void *)d_fwd, x); }

static double xy(double x, double y) { return x * y; }
static double x_times_dxy_dy(double x) {
  // d/dy (x * y) at y = 3 is x; the outer derivative must not see the inner y perturbation.
  return x * __enzyme_fwddiff((void *)xy, x, 0.0, 3.0, 1.0);
}
static double confusion(double x) { return __enzyme_autodiff((void *)x_times_dxy_dy, x); }

int main(void) {
  static const double xs[] = {-1.2, 0.4, 2.5};
  char what[128];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
#define W(s) (snprintf(what, sizeof what, "%s at %g", s, x), what)
    double want = 6.0 * x - sin(x);
    CHECK_CLOSE(W("oracle: d2 vs finite differences of the first derivative"), want,
                (3.0 * (x + 1e-6) * (x + 1e-6) + cos(x + 1e-6) - 3.0 * (x - 1e-6) * (x - 1e-6) - cos(x - 1e-6)) / 2e-6,
                RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("first derivative, reverse"), d_rev(x), 3.0 * x * x + cos(x), RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward over reverse"), fwd_over_rev(x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse over reverse"), rev_over_rev(x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse over forward"), rev_over_fwd(x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("perturbation confusion"), confusion(x), 2.0 * x, RTOL_D, ATOL_D);
#undef W
  }
  return check_report();
}
