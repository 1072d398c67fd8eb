// fpext / fptrunc: a float function computing in double (float in, double math, float out),
// and a double function computing in float. Oracles evaluated in double.
#include "check.h"

float __enzyme_autodiff(void *, float);
float __enzyme_fwddiff(void *, float, float);

// float in, double computation, float out
static float widen(float x) {
  double d = x;
  return (float)(d * d * sin(d) + exp(0.5 * d));
}
static double widen_ref(double d) { return d * d * sin(d) + exp(0.5 * d); }
static double widen_deriv(double d) { return 2.0 * d * sin(d) + d * d * cos(d) + 0.5 * exp(0.5 * d); }

// float in, float computation, float out; mixed float/double constants
static float mixed(float x) {
  float y = x * 1.5f;
  double z = (double)y * (double)x; // 1.5 x^2, in double
  return (float)z + y;             // d = 3x + 1.5
}

int main(void) {
  static const float xs[] = {-1.7f, -0.3f, 0.45f, 1.2f, 2.5f};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    float x = xs[i];
    double want = widen_deriv((double)x);
    CHECK_CLOSE_AT("oracle: widen' vs finite differences (double)", x, want, fd1(widen_ref, (double)x), RTOL_FD, ATOL_FD);
    float r = __enzyme_autodiff((void *)widen, x);
    CHECK_CLOSE_AT("reverse float->double->float", x, r, want, RTOL_F, ATOL_F);
    CHECK_CLOSE_AT("reverse float->double->float vs float finite differences", x, r, fd1f(widen, x), RTOL_FDF, ATOL_FDF);
    float t = __enzyme_fwddiff((void *)widen, x, 1.0f);
    CHECK_CLOSE_AT("forward float->double->float", x, t, want, RTOL_F, ATOL_F);
    double wm = 3.0 * x + 1.5;
    CHECK_CLOSE_AT("reverse mixed float/double", x, __enzyme_autodiff((void *)mixed, x), wm, RTOL_F, ATOL_F);
    CHECK_CLOSE_AT("forward mixed float/double", x, __enzyme_fwddiff((void *)mixed, x, -2.0f), -2.0 * wm, RTOL_F, ATOL_F);
  }
  return check_report();
}
