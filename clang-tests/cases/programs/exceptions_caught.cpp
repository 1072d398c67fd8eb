// Exceptions in a differentiated function: a validation that throws on a negative input, caught
// inside the function (at a = -0.5 it IS thrown and caught in the differentiated calls, and that
// term's derivative is zero), std::vector::at (may throw), and a throwing call outside.
// Oracle: central differences, analytic.
#include "check.h"
#include <stdexcept>
#include <vector>
extern "C" { extern int enzyme_dup, enzyme_const, enzyme_out; }
template <typename R, typename... A> R __enzyme_autodiff(void *, A...);
template <typename R, typename... A> R __enzyme_fwddiff(void *, A...);

static double checked_sqrt(double x) {
  if (x < 0) throw std::domain_error("negative");
  return std::sqrt(x);
}
double f(const std::vector<double> &v) {
  double s = 0;
  for (size_t i = 0; i < v.size(); i++) {
    try {
      s += checked_sqrt(v.at(i)) * v.at(i);
    } catch (const std::domain_error &) {
      s += 0;
    }
  }
  return s;
}
double g(double a, double b) {
  std::vector<double> v{a, b, a * b};
  return f(v);
}
static double g_a(double a) { return g(a, 0.7); }
int main() {
  for (double a : {0.3, -0.5, 1.2}) {
    double d = __enzyme_autodiff<double>((void *)g, a, enzyme_const, 0.7);
    CHECK_CLOSE_AT("reverse", a, d, fd1(g_a, a), RTOL_FD, ATOL_FD);
    double t = __enzyme_fwddiff<double>((void *)g, a, 1.0, enzyme_const, 0.7);
    CHECK_CLOSE_AT("forward", a, t, fd1(g_a, a), RTOL_FD, ATOL_FD);
  }
  std::vector<double> v{0.5, 1.5, 2.0}, dv(3, 0.0);
  __enzyme_autodiff<void>((void *)f, enzyme_dup, &v, &dv);
  for (int i = 0; i < 3; i++) CHECK_CLOSE("dv", dv[i], 1.5 * std::sqrt(v[i]), 1e-12, 1e-14);
  try { f(std::vector<double>{-1.0}); } catch (...) {}
  return check_report();
}
