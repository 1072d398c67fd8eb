// std::function holding a capturing lambda, called inside the differentiated function: the
// call goes through the std::function's invoker pointer, which ferment dispatches over the
// module's candidates; at -O0 the call is an `invoke` (exceptions may pass through it).
// Reverse and forward mode. Oracles: analytic derivatives, forward vs reverse.
// `sum_loop`: a std::function called in a loop; at -O2 the manager call on the cleanup path
// stays an `invoke` through a pointer, which once left a block without predecessors that
// broke the reverse sweep's predecessor numbering (a verifier error).
#include "check.h"
#include <cmath>
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

double sum_loop(const double *x, int n) {
  std::function<double(double)> g = [](double t) { return t * std::tanh(t); };
  double s = 0;
  for (int i = 0; i < n; i++)
    s += g(x[i]);
  return s;
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
  double y[4] = {0.3, -1.2, 0.7, 1.9}, dy[4] = {0, 0, 0, 0}, wy[4];
  __enzyme_autodiff((void *)sum_loop, y, dy, 4);
  for (int i = 0; i < 4; i++)
    wy[i] = std::tanh(y[i]) + y[i] * (1 - std::tanh(y[i]) * std::tanh(y[i]));
  CHECK_ARRAY_CLOSE("loop reverse", dy, wy, 4, RTOL_D, ATOL_D);
  double ty[4] = {0.5, -0.25, 1.0, 2.0};
  CHECK_CLOSE("loop forward", __enzyme_fwddiff((void *)sum_loop, y, ty, 4),
              wy[0] * ty[0] + wy[1] * ty[1] + wy[2] * ty[2] + wy[3] * ty[3], RTOL_D, ATOL_D);
  return check_report();
}
