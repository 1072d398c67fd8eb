// Three active doubles: the reverse call returns a 24-byte struct, which the C ABI returns
// through a hidden sret pointer argument.
#include "check.h"

typedef struct { double a, b, c; } D3;
D3 __enzyme_autodiff(void *, double, double, double);
double __enzyme_fwddiff(void *, ...);

static double f3(double x, double y, double z) { return x * y * z + x / z + exp(y) * cos(z); }

int main(void) {
  static const double xs[] = {0.3, -1.2, 2.0};
  static const double ys[] = {1.4, 0.5, -0.9};
  static const double zs[] = {0.8, -2.0, 1.6};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i], y = ys[i], z = zs[i];
#define W(s) (snprintf(what, sizeof what, "%s at (%g, %g, %g)", s, x, y, z), what)
    double wx = y * z + 1.0 / z;
    double wy = x * z + exp(y) * cos(z);
    double wz = x * y - x / (z * z) - exp(y) * sin(z);
    CHECK_CLOSE(W("oracle: d/dx vs finite differences"), wx, fd3(f3, x, y, z, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("oracle: d/dy vs finite differences"), wy, fd3(f3, x, y, z, 1), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("oracle: d/dz vs finite differences"), wz, fd3(f3, x, y, z, 2), RTOL_FD, ATOL_FD);
    D3 r = __enzyme_autodiff((void *)f3, x, y, z);
    CHECK_CLOSE(W("reverse (sret) d/dx"), r.a, wx, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse (sret) d/dy"), r.b, wy, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse (sret) d/dz"), r.c, wz, RTOL_D, ATOL_D);
    double t = __enzyme_fwddiff((void *)f3, x, 0.5, y, -1.0, z, 2.0);
    CHECK_CLOSE(W("forward direction vs reverse gradient"), t, 0.5 * r.a - r.b + 2.0 * r.c, RTOL_D, ATOL_D);
#undef W
  }
  return check_report();
}
