// CFLAGS: -std=c++17
// Exceptions: a function that allocates three std::vector temporaries, so that operator new and
// the length checks are invokes sharing cleanup landing pads (each later allocation's unwind path
// frees the earlier ones). Reverse and forward mode, checked against analytic gradients.
#include "check.h"
#include <cmath>
#include <vector>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

// sum_i (x_i^2 + exp(x_i)) * cos(x_i)
double three(const double *x, int n) {
  std::vector<double> sq(n), e(n);
  for (int i = 0; i < n; i++)
    sq[i] = x[i] * x[i];
  for (int i = 0; i < n; i++)
    e[i] = std::exp(x[i]);
  std::vector<double> c(n);
  for (int i = 0; i < n; i++)
    c[i] = (sq[i] + e[i]) * std::cos(x[i]);
  double s = 0;
  for (double v : c)
    s += v;
  return s;
}

static double dthree(double x) {
  return (2 * x + std::exp(x)) * std::cos(x) - (x * x + std::exp(x)) * std::sin(x);
}

int main() {
  const int n = 5;
  double x[n] = {0.1, 0.5, 1.0, -0.7, 2.0};
  double dy[n] = {0};
  __enzyme_autodiff((void *)three, enzyme_dup, x, dy, enzyme_const, n);
  for (int i = 0; i < n; i++) {
    CHECK_CLOSE_AT("reverse d three/dx_i", x[i], dy[i], dthree(x[i]), RTOL_D, ATOL_D);
  }
  for (int i = 0; i < n; i++) {
    double t[n] = {0};
    t[i] = 1;
    double d3 = __enzyme_fwddiff((void *)three, enzyme_dup, x, t, enzyme_const, n);
    CHECK_CLOSE_AT("forward d three/dx_i", x[i], d3, dthree(x[i]), RTOL_D, ATOL_D);
  }
  return check_report();
}
