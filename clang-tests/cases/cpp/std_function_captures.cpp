// CFLAGS: -std=c++17
// std::function objects built inside the differentiated function from lambdas that capture
// by reference: one updates a captured accumulator (a void std::function called in a loop),
// one reads a captured std::vector and is passed by const reference to a quadrature helper
// that calls it in a loop; `loop_ref` captures a local and the input pointer. At -O0 every
// call goes through std::function's invoker and manager pointers (`invoke`s).
// Reverse and forward mode. Oracles: central finite differences, forward vs reverse.
#include "check.h"
#include <cmath>
#include <functional>
#include <vector>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static double integrate(const std::function<double(double)> &g, double a, double b, int n) {
  double h = (b - a) / n, s = 0;
  for (int i = 0; i < n; i++)
    s += g(a + (i + 0.5) * h) * h;
  return s;
}

double captures(const double *x, int n) {
  std::vector<double> w(x, x + n);
  double acc = 0;
  std::function<void(double)> add = [&](double v) { acc += v * w[0]; };
  std::function<double(double)> g = [&](double t) { return std::exp(-w[1] * t) * w[2]; };
  for (int i = 0; i < n; i++)
    add(x[i] * x[i]);
  return acc + integrate(g, 0.0, x[3], 8);
}

double loop_ref(const double *x, int n) {
  double scale = x[0];
  std::function<double(double)> g = [&](double t) { return scale * std::sin(t) + t * x[1]; };
  double s = 0;
  for (int i = 0; i < n; i++)
    s += g(x[i]);
  return s;
}

int main() {
  const int n = 4;
  double x[n] = {0.3, 1.2, 0.7, 1.9}, t[n] = {0.5, -0.25, 1.0, 2.0};
  double dx[n] = {0};
  __enzyme_autodiff((void *)captures, x, dx, n);
  CHECK_ARRAY_FD("captures reverse", x, n, dx, 1e-6, captures(x, n), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("captures forward vs reverse", __enzyme_fwddiff((void *)captures, x, t, n),
              dotv(dx, t, n), RTOL_D, ATOL_D);
  double dy[n] = {0};
  __enzyme_autodiff((void *)loop_ref, x, dy, n);
  CHECK_ARRAY_FD("loop_ref reverse", x, n, dy, 1e-6, loop_ref(x, n), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("loop_ref forward vs reverse", __enzyme_fwddiff((void *)loop_ref, x, t, n),
              dotv(dy, t, n), RTOL_D, ATOL_D);
  return check_report();
}
