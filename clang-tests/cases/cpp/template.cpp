// C++: differentiate instantiations of a function template (double and float) and a template
// that calls another template; extern "C" declarations of the __enzyme_* entry points.
#include "check.h"
#include <cmath>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
float __enzyme_autodiff_f32(void *, float);
float __enzyme_fwddiff_f32(void *, float, float);
}

template <typename T> T sq(T x) { return x * x; }
template <typename T> T poly(T x) { return sq(x) * x - T(2) * x + std::sin(x) * sq(x); }
template <typename T, int N> T power_sum(T x) {
  T acc = T(0), p = T(1);
  for (int i = 0; i < N; i++) {
    p = p * x;
    acc = acc + p;
  }
  return acc;
}

static double poly_deriv(double x) { return 3 * x * x - 2 + std::cos(x) * x * x + 2 * x * std::sin(x); }

int main() {
  const double xs[] = {-1.6, -0.3, 0.7, 2.4};
  for (double x : xs) {
    double want = poly_deriv(x);
    CHECK_CLOSE_AT("oracle: poly' vs finite differences", x, want, fd1(poly<double>, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse poly<double>", x, __enzyme_autodiff((void *)poly<double>, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward poly<double>", x, __enzyme_fwddiff((void *)poly<double>, x, 1.0), want, RTOL_D, ATOL_D);
    float xf = (float)x;
    double wantf = poly_deriv((double)xf);
    CHECK_CLOSE_AT("reverse poly<float>", x, __enzyme_autodiff_f32((void *)poly<float>, xf), wantf, RTOL_F, 1e-5);
    CHECK_CLOSE_AT("forward poly<float>", x, __enzyme_fwddiff_f32((void *)poly<float>, xf, 1.0f), wantf, RTOL_F, 1e-5);
    // power_sum<N>(x) = x + x^2 + ... + x^N, derivative sum k x^(k-1)
    double ws = 0;
    for (int k = 1; k <= 5; k++)
      ws += k * std::pow(x, k - 1);
    CHECK_CLOSE_AT("reverse power_sum<double, 5>", x, __enzyme_autodiff((void *)power_sum<double, 5>, x), ws, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward power_sum<double, 5>", x, __enzyme_fwddiff((void *)power_sum<double, 5>, x, 1.0), ws, RTOL_D, ATOL_D);
  }
  return check_report();
}
