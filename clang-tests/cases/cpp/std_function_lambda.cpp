// std::function holding a capturing lambda, called inside the differentiated function: the
// call goes through the std::function's invoker pointer, which ferment dispatches over the
// module's candidates; at -O0 the call is an `invoke` (exceptions may pass through it).
// Reverse and forward mode. Oracles: analytic derivatives, forward vs reverse.
#include "check.h"
#include <functional>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static double apply_twice(const std::function<double(double)> &g, double a, double b) {
  return g(a) + g(b) * a;
}

double f(const double *x) {
  std::function<double(double)> g = [&](double t) { return t * x[1] + t * t; };
  return apply_twice(g, x[0], x[2]);
}

int main() {
  double x[3] = {0.7, -0.4, 1.3}, dx[3] = {0, 0, 0};
  __enzyme_autodiff((void *)f, x, dx);
  // f = x0 x1 + x0^2 + (x2 x1 + x2^2) x0
  double want[3] = {x[1] + 2 * x[0] + x[2] * x[1] + x[2] * x[2], x[0] + x[2] * x[0],
                    (x[1] + 2 * x[2]) * x[0]};
  CHECK_ARRAY_CLOSE("reverse", dx, want, 3, RTOL_D, ATOL_D);
  double t[3] = {0.3, -1.1, 0.8};
  double tangent = __enzyme_fwddiff((void *)f, x, t);
  CHECK_CLOSE("forward vs reverse", tangent, dx[0] * t[0] + dx[1] * t[1] + dx[2] * t[2], RTOL_D,
              ATOL_D);
  return check_report();
}
