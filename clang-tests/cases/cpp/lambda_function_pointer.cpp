// The function to differentiate is a captureless lambda converted to a function pointer
// (`(void*)+f`), as in a Newton solver that takes the derivative of its residual in forward
// mode. At -O0 the conversion is a call of the lambda's conversion operator, which returns
// the static invoker; ferment follows that call to the invoker. Reverse and forward mode,
// inside a template. Oracles: analytic derivatives, the Newton root's residual.
#include "check.h"
#include <cmath>

int enzyme_dup, enzyme_const, enzyme_out;
template <typename R, typename... T> R __enzyme_fwddiff(void *, T...);
template <typename R, typename... T> R __enzyme_autodiff(void *, T...);

struct Params {
  double a, b;
};

template <typename F> double newton(F f, double x, const Params &p) {
  for (int it = 0; it < 30; it++) {
    double dx = 1.0;
    double slope = __enzyme_fwddiff<double>((void *)+f, enzyme_dup, x, dx, enzyme_const, &p);
    x -= f(x, &p) / slope;
  }
  return x;
}

template <typename F> double slope_reverse(F f, double x, const Params &p) {
  return __enzyme_autodiff<double>((void *)+f, enzyme_out, x, enzyme_const, &p);
}

int main() {
  auto f = [](double x, const Params *p) { return x * x * x - p->a * std::sin(x) - p->b; };
  Params p{2.0, 5.0};
  double r = newton(f, 2.0, p);
  CHECK_CLOSE("Newton residual", f(r, &p), 0.0, 0.0, 1e-12);
  double x = 1.3;
  double want = 3 * x * x - p.a * std::cos(x);
  CHECK_CLOSE("reverse", slope_reverse(f, x, p), want, RTOL_D, ATOL_D);
  double dx = 1.0;
  CHECK_CLOSE("forward", __enzyme_fwddiff<double>((void *)+f, enzyme_dup, x, dx, enzyme_const, &p),
              want, RTOL_D, ATOL_D);
  return check_report();
}
