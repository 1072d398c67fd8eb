// CFLAGS: -std=c++17
// Exceptions: a function that allocates two std::vector temporaries, so that operator new and
// the length checks are invokes sharing a cleanup landing pad. Reverse and forward mode, checked
// against analytic gradients. (Three vectors: exceptions_three_vectors.cpp.)
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

static double dtwo(double x) {
  double s = std::sin(x), c = std::cos(x);
  return 2 * s * c * x + s * s;
}
int main() {
  const int n = 5;
  double x[n] = {0.1, 0.5, 1.0, -0.7, 2.0};
  double dx[n] = {0};
  __enzyme_autodiff((void *)two, enzyme_dup, x, dx, enzyme_const, n);
  for (int i = 0; i < n; i++) {
    CHECK_CLOSE_AT("reverse d two/dx_i", x[i], dx[i], dtwo(x[i]), RTOL_D, ATOL_D);
  }
  for (int i = 0; i < n; i++) {
    double t[n] = {0};
    t[i] = 1;
    double d2 = __enzyme_fwddiff((void *)two, enzyme_dup, x, t, enzyme_const, n);
    CHECK_CLOSE_AT("forward d two/dx_i", x[i], d2, dtwo(x[i]), RTOL_D, ATOL_D);
  }
  return check_report();
}
