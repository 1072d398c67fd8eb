// C++: entry points declared as C++ templates (not extern "C"), as Enzyme's C++ users do; the
// mangled names contain __enzyme_autodiff / __enzyme_fwddiff. Two active doubles return a struct.
#include "check.h"
#include <cmath>

template <typename Ret, typename... Args> Ret __enzyme_autodiff(void *, Args...);
template <typename Ret, typename... Args> Ret __enzyme_fwddiff(void *, Args...);

struct Grad2 {
  double dx, dy;
};

static double f(double x, double y) { return std::atan2(y, x) * x + y * y * x; }

int main() {
  const double xs[] = {0.8, -1.1, 2.0};
  const double ys[] = {0.5, 1.4, -0.7};
  for (int i = 0; i < 3; i++) {
    double x = xs[i], y = ys[i], r2 = x * x + y * y;
    double wx = std::atan2(y, x) - y * x / r2 + y * y;
    double wy = x * x / r2 + 2 * x * y;
    CHECK_CLOSE_AT("oracle: d/dx vs finite differences", x, wx, fd2(f, x, y, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("oracle: d/dy vs finite differences", x, wy, fd2(f, x, y, 1), RTOL_FD, ATOL_FD);
    Grad2 g = __enzyme_autodiff<Grad2>((void *)f, x, y);
    CHECK_CLOSE_AT("reverse (template decl) d/dx", x, g.dx, wx, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse (template decl) d/dy", x, g.dy, wy, RTOL_D, ATOL_D);
    double d = __enzyme_autodiff<double>((void *)f, x, enzyme_const, y);
    CHECK_CLOSE_AT("reverse (template decl) d/dx, y const", x, d, wx, RTOL_D, ATOL_D);
    double t = __enzyme_fwddiff<double>((void *)f, x, 0.5, y, 1.5);
    CHECK_CLOSE_AT("forward (template decl)", x, t, 0.5 * wx + 1.5 * wy, RTOL_D, ATOL_D);
  }
  return check_report();
}
