// Forward-mode calling conventions: unmarked doubles are duplicated (value, then tangent);
// enzyme_const on some arguments (no tangent follows); explicit enzyme_dup; integer constants.
// Every result is compared with the analytic directional derivative and with the reverse
// gradient (dot product with the direction).
// RUN: clang opt
#include "check.h"

typedef struct { double dx, dy, dz; } D3;
double __enzyme_fwddiff(void *, ...);
D3 __enzyme_autodiff(void *, double, double, double);

double f(double x, double y, double z) { return x * y + sin(z) * x - z * z / (1.0 + y * y); }

int main(void) {
  static const double pts[][3] = {{0.5, 1.5, -0.3}, {-1.2, 0.4, 2.0}, {2.2, -0.8, 0.9}};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(pts); i++) {
    double x = pts[i][0], y = pts[i][1], z = pts[i][2];
    double q = 1.0 + y * y;
    double gx = y + sin(z), gy = x + z * z * 2.0 * y / (q * q), gz = cos(z) * x - 2.0 * z / q;
#define W(s) (snprintf(what, sizeof what, "%s at point %u", s, i), what)
    CHECK_CLOSE(W("oracle: d/dx vs finite differences"), gx, fd3(f, x, y, z, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("oracle: d/dy vs finite differences"), gy, fd3(f, x, y, z, 1), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("oracle: d/dz vs finite differences"), gz, fd3(f, x, y, z, 2), RTOL_FD, ATOL_FD);
    D3 g = __enzyme_autodiff((void *)f, x, y, z);
    CHECK_CLOSE(W("reverse gradient d/dx"), g.dx, gx, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse gradient d/dy"), g.dy, gy, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse gradient d/dz"), g.dz, gz, RTOL_D, ATOL_D);

    double dx = 0.7, dy = -1.3, dz = 2.1;
    double t = __enzyme_fwddiff((void *)f, x, dx, y, dy, z, dz);
    CHECK_CLOSE(W("unmarked: all duplicated vs analytic"), t, dx * gx + dy * gy + dz * gz, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("unmarked: all duplicated vs reverse"), t, dx * g.dx + dy * g.dy + dz * g.dz, RTOL_D, ATOL_D);
    t = __enzyme_fwddiff((void *)f, x, dx, enzyme_const, y, z, dz);
    CHECK_CLOSE(W("enzyme_const y"), t, dx * gx + dz * gz, RTOL_D, ATOL_D);
    t = __enzyme_fwddiff((void *)f, enzyme_const, x, enzyme_const, y, z, dz);
    CHECK_CLOSE(W("enzyme_const x and y"), t, dz * gz, RTOL_D, ATOL_D);
    t = __enzyme_fwddiff((void *)f, enzyme_dup, x, dx, enzyme_const, y, enzyme_dup, z, dz);
    CHECK_CLOSE(W("explicit enzyme_dup x, z; const y"), t, dx * gx + dz * gz, RTOL_D, ATOL_D);
    t = __enzyme_fwddiff((void *)f, enzyme_dup, x, 1.0, enzyme_dup, y, 0.0, enzyme_dup, z, 0.0);
    CHECK_CLOSE(W("explicit enzyme_dup, unit tangent on x"), t, gx, RTOL_D, ATOL_D);
    t = __enzyme_fwddiff((void *)f, x, 0.0, y, 1.0, enzyme_const, z);
    CHECK_CLOSE(W("unit tangent on y, const z"), t, gy, RTOL_D, ATOL_D);
#undef W
  }
  return check_report();
}
