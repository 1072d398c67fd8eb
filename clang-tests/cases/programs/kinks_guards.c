// Kinks, ties, signed zeros and guarded values, forward and reverse, against Enzyme's
// documented semantics (fabs follows the sign bit; a discarded branch never leaks inf/NaN).
#include "check.h"
extern int enzyme_dup, enzyme_const, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
float __enzyme_fwddiff_f(void *, float, float) __asm__("__enzyme_fwddiff");
float __enzyme_autodiff_f(void *, float) __asm__("__enzyme_autodiff");

double f_abs(double x) { return fabs(x); }
float f_absf(float x) { return fabsf(x); }
double f_safe_div(double a) { double d = a - 1.0; return d != 0 ? a / d : 0.0; }
double f_clamp(double x) { double lo = 0, hi = 1; double y = x < lo ? lo : x; return y > hi ? hi : y; }
double f_finite(double x) { double l = log(x); return isfinite(l) ? l * x : 0.0; }
double f_sqrt_guard(double x) { double s = sqrt(x); return x > 0 ? s : 0.0; }
double f_pow0(double x) { return pow(x, 2.0) + pow(x, 1.0); }
double f_hyp(double x) { return hypot(x, 0.0); }
double f_sel_nan(double x) { double r = x > 0 ? 1.0 / x : x; return r; }
double f_div_norm(double x, double y) { double n = sqrt(x * x + y * y); return n > 0 ? x / n : 0.0; }

int main(void) {
  /* fabs follows the sign bit */
  CHECK_CLOSE("fwd fabs'(-0)", __enzyme_fwddiff((void *)f_abs, -0.0, 1.0), -1.0, 0, 0);
  CHECK_CLOSE("fwd fabs'(+0)", __enzyme_fwddiff((void *)f_abs, 0.0, 1.0), 1.0, 0, 0);
  CHECK_CLOSE("rev fabs'(-0)", __enzyme_autodiff((void *)f_abs, -0.0), -1.0, 0, 0);
  CHECK_CLOSE("rev fabs'(+0)", __enzyme_autodiff((void *)f_abs, 0.0), 1.0, 0, 0);
  CHECK_CLOSE("fwd fabsf'(-0)", __enzyme_fwddiff_f((void *)f_absf, -0.0f, 1.0f), -1.0, 0, 0);
  CHECK_CLOSE("rev fabsf'(-0)", __enzyme_autodiff_f((void *)f_absf, -0.0f), -1.0, 0, 0);
  /* guarded values */
  double t = __enzyme_fwddiff((void *)f_safe_div, 1.0, 1.0);
  CHECK_CLOSE("fwd guarded div at d=0", t, 0.0, 0, 0);
  CHECK_CLOSE("rev guarded div at d=0", __enzyme_autodiff((void *)f_safe_div, 1.0), 0.0, 0, 0);
  CHECK_CLOSE("guarded div at 3", __enzyme_autodiff((void *)f_safe_div, 3.0), -1.0 / 4.0, 1e-12, 0);
  CHECK_CLOSE("fwd guarded div at 3", __enzyme_fwddiff((void *)f_safe_div, 3.0, 1.0), -1.0 / 4.0, 1e-12, 0);
  for (double x = -0.5; x <= 1.5; x += 0.5) {
    double want = (x > 0 && x < 1) ? 1.0 : 0.0;
    if (x == 0 || x == 1) continue;
    CHECK_CLOSE_AT("clamp fwd", x, __enzyme_fwddiff((void *)f_clamp, x, 1.0), want, 0, 0);
    CHECK_CLOSE_AT("clamp rev", x, __enzyme_autodiff((void *)f_clamp, x), want, 0, 0);
  }
  CHECK_CLOSE("isfinite guard fwd at 0", __enzyme_fwddiff((void *)f_finite, 0.0, 1.0), 0.0, 0, 0);
  CHECK_CLOSE("isfinite guard rev at 0", __enzyme_autodiff((void *)f_finite, 0.0), 0.0, 0, 0);
  CHECK_CLOSE("sqrt guard fwd at 0", __enzyme_fwddiff((void *)f_sqrt_guard, 0.0, 1.0), 0.0, 0, 0);
  CHECK_CLOSE("sqrt guard rev at 0", __enzyme_autodiff((void *)f_sqrt_guard, 0.0), 0.0, 0, 0);
  CHECK_CLOSE("pow at 0 fwd", __enzyme_fwddiff((void *)f_pow0, 0.0, 1.0), 1.0, 0, 0);
  CHECK_CLOSE("pow at 0 rev", __enzyme_autodiff((void *)f_pow0, 0.0), 1.0, 0, 0);
  CHECK_CLOSE("sel 1/x at 0 fwd", __enzyme_fwddiff((void *)f_sel_nan, 0.0, 1.0), 1.0, 0, 0);
  CHECK_CLOSE("sel 1/x at 0 rev", __enzyme_autodiff((void *)f_sel_nan, 0.0), 1.0, 0, 0);
  CHECK_CLOSE("div norm at 0 fwd", __enzyme_fwddiff((void *)f_div_norm, 0.0, 1.0, 0.0, 1.0), 0.0, 0, 0);
  CHECK_CLOSE("div norm at 0 rev", __enzyme_autodiff((void *)f_div_norm, 0.0, enzyme_const, 0.0), 0.0, 0, 0);
  CHECK_CLOSE("hypot(x,0) at 2", __enzyme_autodiff((void *)f_hyp, 2.0), 1.0, 1e-15, 0);
  CHECK_CLOSE("hypot(x,0) at -2", __enzyme_fwddiff((void *)f_hyp, -2.0, 1.0), -1.0, 1e-15, 0);
  return check_report();
}
