// CFLAGS: -std=c++17
// Exceptions: functions that allocate two or three std::vector temporaries, so that operator new
// and the length checks are invokes sharing cleanup landing pads. Reverse and forward mode,
// checked against analytic gradients.
#include "check.h"
#include <cmath>
#include <vector>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

// sum_i sin(x_i)^2 x_i
double two(const double *x, int n) {
  std::vector<double> a(n), b(n);
  for (int i = 0; i < n; i++)
    a[i] = std::sin(x[i]);
  for (int i = 0; i < n; i++)
    b[i] = a[i] * x[i];
  double s = 0;
  for (int i = 0; i < n; i++)
    s += b[i] * a[i];
  return s;
}

// sum_i (x_i^2 + exp(x_i)) * cos(x_i) with a vector built by push_back
double three(const double *x, int n) {
  std::vector<double> sq(x, x + n), e;
  for (int i = 0; i < n; i++)
    sq[i] *= x[i];
  for (int i = 0; i < n; i++)
    e.push_back(std::exp(x[i]));
  std::vector<double> c(n);
  for (int i = 0; i < n; i++)
    c[i] = (sq[i] + e[i]) * std::cos(x[i]);
  double s = 0;
  for (double v : c)
    s += v;
  return s;
}

static double dtwo(double x) {
  double s = std::sin(x), c = std::cos(x);
  return 2 * s * c * x + s * s;
}
static double dthree(double x) {
  return (2 * x + std::exp(x)) * std::cos(x) - (x * x + std::exp(x)) * std::sin(x);
}

int main() {
  const int n = 5;
  double x[n] = {0.1, 0.5, 1.0, -0.7, 2.0};
  double dx[n] = {0}, dy[n] = {0};
  __enzyme_autodiff((void *)two, enzyme_dup, x, dx, enzyme_const, n);
  __enzyme_autodiff((void *)three, enzyme_dup, x, dy, enzyme_const, n);
  for (int i = 0; i < n; i++) {
    CHECK_CLOSE_AT("reverse d two/dx_i", x[i], dx[i], dtwo(x[i]), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse d three/dx_i", x[i], dy[i], dthree(x[i]), RTOL_D, ATOL_D);
  }
  for (int i = 0; i < n; i++) {
    double t[n] = {0};
    t[i] = 1;
    double d2 = __enzyme_fwddiff((void *)two, enzyme_dup, x, t, enzyme_const, n);
    double d3 = __enzyme_fwddiff((void *)three, enzyme_dup, x, t, enzyme_const, n);
    CHECK_CLOSE_AT("forward d two/dx_i", x[i], d2, dtwo(x[i]), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward d three/dx_i", x[i], d3, dthree(x[i]), RTOL_D, ATOL_D);
  }
  return check_report();
}
