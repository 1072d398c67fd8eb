// Two active scalars: the reverse call returns a struct {dx, dy} (the canonical user
// declaration `D2 __enzyme_autodiff(void*, double, double)`). Forward call per direction.
// RUN: clang opt
#include "check.h"

typedef struct { double dx, dy; } D2;
D2 __enzyme_autodiff(void *, double, double);
double __enzyme_fwddiff(void *, double, double, double, double);

double f(double x, double y) { return x * x * y + sin(x * y) - y / (1.0 + x * x); }

int main(void) {
  static const double xs[] = {0.3, -1.2, 2.0, 0.75};
  static const double ys[] = {1.4, 0.5, -0.9, -2.25};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i], y = ys[i];
#define W(s) (snprintf(what, sizeof what, "%s at (x, y) = (%g, %g)", s, x, y), what)
    double q = 1.0 + x * x;
    double wx = 2.0 * x * y + y * cos(x * y) + y * 2.0 * x / (q * q);
    double wy = x * x + x * cos(x * y) - 1.0 / q;
    CHECK_CLOSE(W("oracle: d/dx vs finite differences"), wx, fd2(f, x, y, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("oracle: d/dy vs finite differences"), wy, fd2(f, x, y, 1), RTOL_FD, ATOL_FD);
    D2 r = __enzyme_autodiff((void *)f, x, y);
    CHECK_CLOSE(W("reverse d/dx"), r.dx, wx, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse d/dy"), r.dy, wy, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward d/dx"), __enzyme_fwddiff((void *)f, x, 1.0, y, 0.0), wx, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward d/dy"), __enzyme_fwddiff((void *)f, x, 0.0, y, 1.0), wy, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward direction (-0.6, 1.3) vs reverse gradient"),
                __enzyme_fwddiff((void *)f, x, -0.6, y, 1.3), -0.6 * r.dx + 1.3 * r.dy, RTOL_D, ATOL_D);
#undef W
  }
  return check_report();
}
