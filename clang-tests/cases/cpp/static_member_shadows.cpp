// Shadows of globals declared with Enzyme's source attribute enzyme_shadow (read by ferment's
// clang front end): a namespace-scope double and static data members of a class (a scalar and
// an array) naming other static members as their shadows. Reverse mode accumulates the globals'
// adjoints there; forward mode reads the tangents seeded there. Oracle: analytic derivatives.
// CFLAGS: -fplugin=@FERMENT_CLANG@
#include "check.h"
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
double gain_d = 0;
__attribute__((enzyme_shadow(gain_d))) double gain = 1.5;
struct Model {
  static double bias_d;
  __attribute__((enzyme_shadow(bias_d))) static double bias;
  static double rate_d[2];
  __attribute__((enzyme_shadow(rate_d))) static double rate[2];
};
double Model::bias_d = 0;
double Model::bias = -0.75;
double Model::rate_d[2] = {0, 0};
double Model::rate[2] = {0.5, 2.0};
__attribute__((noinline)) double eval(double x) {
  return gain * x * x * x + Model::bias * x + Model::rate[0] * Model::rate[1] * x;
}
int main() {
  double x = 1.25;
  double dx = __enzyme_autodiff((void *)eval, x);
  CHECK_CLOSE("dx", dx, 3 * gain * x * x + Model::bias + Model::rate[0] * Model::rate[1], RTOL_D, 0);
  CHECK_CLOSE("d gain", gain_d, x * x * x, RTOL_D, 0);
  CHECK_CLOSE("d bias", Model::bias_d, x, RTOL_D, 0);
  CHECK_CLOSE("d rate0", Model::rate_d[0], Model::rate[1] * x, RTOL_D, 0);
  CHECK_CLOSE("d rate1", Model::rate_d[1], Model::rate[0] * x, RTOL_D, 0);
  CHECK_CLOSE("gain kept", gain, 1.5, 0, 0);
  gain_d = 0.0; Model::bias_d = 2.0; Model::rate_d[0] = 0; Model::rate_d[1] = -1.0;
  double t = __enzyme_fwddiff((void *)eval, x, 0.5);
  double want = 0.5 * (3 * gain * x * x + Model::bias + Model::rate[0] * Model::rate[1]) + 2.0 * x + Model::rate[0] * -1.0 * x;
  CHECK_CLOSE("tangent", t, want, RTOL_D, 0);
  return check_report();
}
