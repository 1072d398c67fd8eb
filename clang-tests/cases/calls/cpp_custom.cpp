// C++: a custom gradient and an inactive annotation for functions with C++-mangled names (one in
// a namespace, one an overloaded function selected by a cast), registered from C++ with Enzyme's
// globals (file-scope globals keep their plain names). The rules are deliberately wrong
// (d soft = 10 d instead of the logistic function) so the expected values prove they are used.
// Not noinline: the plugin keeps the calls itself (clang only).
#include "check.h"
#include <cmath>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

namespace lib {
double soft(double x) { return std::log1p(std::exp(x)); }
} // namespace lib
static double aug_soft(double x) { return lib::soft(x); }
static double rev_soft(double, double d) { return 10.0 * d; }
static double fwd_soft(double, double dx) { return 10.0 * dx; }
void *__enzyme_register_gradient_soft[3] = {(void *)lib::soft, (void *)aug_soft, (void *)rev_soft};
void *__enzyme_register_derivative_soft[2] = {(void *)lib::soft, (void *)fwd_soft};

double scale(double x) { return x * x; }
float scale(float x) { return x * x * x; }
void *__enzyme_inactivefn_scale[1] = {(void *)(double (*)(double))scale};

/* f = soft(x^2) * scale(x) + soft(x), scale(x) constant: f' = 10 * 2x * x^2 + 10 */
double f(double x) { return lib::soft(x * x) * scale(x) + lib::soft(x); }

int main() {
  static const double xs[] = {-1.1, 0.35, 1.6};
  for (double x : xs) {
    double want = 10.0 * 2.0 * x * scale(x) + 10.0;
    CHECK_CLOSE_AT("reverse with the custom gradient of lib::soft, scale inactive", x, __enzyme_autodiff((void *)f, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward with the custom derivative of lib::soft, scale inactive", x, __enzyme_fwddiff((void *)f, x, 1.0), want, RTOL_D, ATOL_D);
  }
  return check_report();
}
