// C++ std::vector: a const vector passed by reference with a shadow vector (enzyme_dup on the
// vector objects: the shadow vector's buffer receives the gradient), and a function that builds
// a temporary std::vector inside (operator new/delete through invoke, exception edges).
// Checked against the analytic gradients.
#include "check.h"
#include <cmath>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);

double f(const std::vector<double> &v) {
  double s = 0;
  for (double x : v)
    s += std::sin(x) * x;
  return s;
}

double g(std::vector<double> &v) {
  std::vector<double> w(v.size());
  for (size_t i = 0; i < v.size(); i++)
    w[i] = v[i] * v[i] * (double)(i + 1);
  double s = 0;
  for (double x : w)
    s += x;
  return s;
}

int main() {
  std::vector<double> v = {0.1, 0.5, 1.0, -0.7}, dv(4, 0.0), dw(4, 0.0);
  __enzyme_autodiff((void *)f, enzyme_dup, &v, &dv);
  for (int i = 0; i < 4; i++)
    CHECK_CLOSE("d/dv_i sum sin(v) v", dv[i], std::cos(v[i]) * v[i] + std::sin(v[i]), 1e-12, 1e-12);
  __enzyme_autodiff((void *)g, enzyme_dup, &v, &dw);
  for (int i = 0; i < 4; i++)
    CHECK_CLOSE("d/dv_i sum (i+1) v^2", dw[i], 2.0 * v[i] * (i + 1), 1e-12, 1e-12);
  return check_report();
}
