// static inline helpers (inlined by clang at -O1+, real calls at -O0) and a static function
// called through several levels.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static inline double sq(double x) { return x * x; }
static inline double cube(double x) { return sq(x) * x; }
static double level2(double x, double y) { return sq(sin(x)) + cube(y) * x; }
static double f(double x, double y) { return level2(x, y) + sq(x) - level2(y, x); }

int main(void) {
  static const double xs[] = {0.3, -1.1, 1.7};
  static const double ys[] = {-0.6, 0.8, 2.0};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i], y = ys[i];
    // f = sin^2 x + y^3 x + x^2 - sin^2 y - x^3 y
    double wx = 2.0 * sin(x) * cos(x) + y * y * y + 2.0 * x - 3.0 * x * x * y;
    double wy = 3.0 * y * y * x - 2.0 * sin(y) * cos(y) - x * x * x;
#define W(s) (snprintf(what, sizeof what, "%s at (x, y) = (%g, %g)", s, x, y), what)
    CHECK_CLOSE(W("oracle: d/dx vs finite differences"), wx, fd2(f, x, y, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("oracle: d/dy vs finite differences"), wy, fd2(f, x, y, 1), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("reverse d/dx (y const)"), __enzyme_autodiff((void *)f, x, enzyme_const, y), wx, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse d/dy (x const)"), __enzyme_autodiff((void *)f, enzyme_const, x, y), wy, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward direction (1, 2)"), __enzyme_fwddiff((void *)f, x, 1.0, y, 2.0), wx + 2.0 * wy, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse static inline cube"), __enzyme_autodiff((void *)cube, x), 3.0 * x * x, RTOL_D, ATOL_D);
#undef W
  }
  return check_report();
}
