// float scalars: varargs would promote float to double, so the user declares non-variadic
// prototypes `float __enzyme_autodiff(void*, float)` and `float __enzyme_fwddiff(void*, float, float)`.
#include "check.h"

float __enzyme_autodiff(void *, float);
float __enzyme_fwddiff(void *, float, float);

static float f(float x) { return x * x * sinf(x) + 1.0f / x; }
static double f_ref(double x) { return x * x * sin(x) + 1.0 / x; }
static double f_deriv(double x) { return 2.0 * x * sin(x) + x * x * cos(x) - 1.0 / (x * x); }

int main(void) {
  static const float xs[] = {-2.1f, -0.6f, 0.35f, 1.0f, 3.3f};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    float x = xs[i];
    double want = f_deriv((double)x);
    CHECK_CLOSE_AT("oracle: f' vs finite differences", x, want, fd1(f_ref, (double)x), RTOL_FD, ATOL_FD);
    float r = __enzyme_autodiff((void *)f, x);
    CHECK_CLOSE_AT("reverse float", x, r, want, RTOL_F, ATOL_F);
    CHECK_CLOSE_AT("reverse float vs float finite differences", x, r, fd1f(f, x), RTOL_FDF, ATOL_FDF);
    float t = __enzyme_fwddiff((void *)f, x, 1.0f);
    CHECK_CLOSE_AT("forward float", x, t, want, RTOL_F, ATOL_F);
    CHECK_CLOSE_AT("forward float dx=-3 vs -3*reverse", x, __enzyme_fwddiff((void *)f, x, -3.0f), -3.0 * r, RTOL_F, ATOL_F);
  }
  return check_report();
}
