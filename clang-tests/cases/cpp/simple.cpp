// C++: a plain function in a namespace (C++-mangled name), std:: math, extern "C" declarations of
// the entry points and markers (check.h declares the markers extern "C").
#include "check.h"
#include <cmath>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

namespace model {
double energy(double x, double k) { return 0.5 * k * x * x + std::exp(-x) * std::cos(k * x); }
} // namespace model

int main() {
  const double xs[] = {-0.9, 0.2, 1.5};
  const double ks[] = {0.5, 2.0, -1.3};
  for (double x : xs)
    for (double k : ks) {
      double wx = k * x - std::exp(-x) * std::cos(k * x) - std::exp(-x) * std::sin(k * x) * k;
      double wk = 0.5 * x * x - std::exp(-x) * std::sin(k * x) * x;
      CHECK_CLOSE_AT("oracle: d/dx vs finite differences", x, wx, fd2(model::energy, x, k, 0), RTOL_FD, ATOL_FD);
      CHECK_CLOSE_AT("oracle: d/dk vs finite differences", x, wk, fd2(model::energy, x, k, 1), RTOL_FD, ATOL_FD);
      CHECK_CLOSE_AT("reverse d/dx (k enzyme_const)",
                     x, __enzyme_autodiff((void *)model::energy, x, enzyme_const, k), wx, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT("reverse d/dk (x enzyme_const)",
                     x, __enzyme_autodiff((void *)model::energy, enzyme_const, x, k), wk, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT("forward direction (1, -1)",
                     x, __enzyme_fwddiff((void *)model::energy, x, 1.0, k, -1.0), wx - wk, RTOL_D, ATOL_D);
    }
  return check_report();
}
