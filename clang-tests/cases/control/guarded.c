// Guarded values: a value computed but not selected (a guarded division, an isfinite guard, a
// min/max whose other side is infinite, a clamp) must not leak inf or NaN into the derivative
// in either mode. At -O1 and above the branches become selects, so the discarded side is
// computed unconditionally; the derivative must select, never multiply a discarded partial by
// zero.
#include "check.h"

typedef struct { double da, dd; } D2;
double __enzyme_autodiff(void *, ...);
D2 __enzyme_autodiff_d2(void *, double, double);
double __enzyme_fwddiff(void *, ...);

static double safe_div(double a, double d) {
  double y;
  if (d != 0.0) y = a / d;
  else y = 0.0;
  return y + a;
}
static double finite_guard(double x) {
  double r = 1.0 / x;
  return isfinite(r) ? r * x * x : x;
}
static double sqrt_guard(double x) { return x > 0.0 ? sqrt(x) * 3.0 : 2.0 * x; }
static double log_guard(double x) { double l = log(x) * x; return x > 0.0 ? l : x * x; }
static double min_inf(double x, double d) { return fmin(x * x, 1.0 / d); }
static double clamp(double x) { return fmax(-1.0, fmin(x / (x - 1.0), 2.0)); }
// The other extremum flavours (llvm.maximum, llvm.minimumnum, llvm.maximumnum) and fdim discard
// an operand just like fmin/fmax.
static double maximum_inf(double x, double d) { return -__builtin_elementwise_maximum(-x * x, -1.0 / d); }
static double minimumnum_inf(double x, double d) { return __builtin_elementwise_minimumnum(x * x, 1.0 / d); }
static double maximumnum_inf(double x, double d) { return __builtin_elementwise_maximumnum(-x * x, -1.0 / d); }
static double fdim_inf(double x, double d) { return fdim(x * x, 1.0 / d) + x; }

static int is_finite_value(double v) { return v == v && v - v == 0.0; }

int main(void) {
  char what[256];
#define W(s, v) (snprintf(what, sizeof what, "%s at %g", s, v), what)
  static const double as[] = {1.0, -2.5, 0.75};
  for (unsigned i = 0; i < COUNT_OF(as); i++) {
    double a = as[i];
    // d = 0: the division is discarded; y = a.
    D2 r = __enzyme_autodiff_d2((void *)safe_div, a, 0.0);
    CHECK_CLOSE(W("reverse safe_div d/da at d=0", a), r.da, 1.0, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse safe_div d/dd at d=0", a), r.dd, 0.0, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward safe_div along a at d=0", a),
                __enzyme_fwddiff((void *)safe_div, a, 1.0, 0.0, 0.0), 1.0, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward safe_div along d at d=0", a),
                __enzyme_fwddiff((void *)safe_div, a, 0.0, 0.0, 1.0), 0.0, RTOL_D, ATOL_D);
    // d != 0 still differentiates the division (finite differences as the oracle).
    double d = 0.5 + i;
    r = __enzyme_autodiff_d2((void *)safe_div, a, d);
    CHECK_CLOSE(W("reverse safe_div d/da", a), r.da, fd2(safe_div, a, d, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("reverse safe_div d/dd", a), r.dd, fd2(safe_div, a, d, 1), RTOL_FD, ATOL_FD);
  }

  // x = 0: 1/x is infinite and discarded: f = x, f' = 1.
  CHECK_CLOSE(W("reverse finite_guard", 0.0), __enzyme_autodiff((void *)finite_guard, 0.0), 1.0, RTOL_D, ATOL_D);
  CHECK_CLOSE(W("forward finite_guard", 0.0), __enzyme_fwddiff((void *)finite_guard, 0.0, 1.0), 1.0, RTOL_D, ATOL_D);
  CHECK_CLOSE(W("reverse finite_guard", 1.5), __enzyme_autodiff((void *)finite_guard, 1.5), 1.0, RTOL_D, ATOL_D);

  static const double xs[] = {0.0, -0.0, -1.0, -3.0};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    CHECK_CLOSE(W("reverse sqrt_guard", x), __enzyme_autodiff((void *)sqrt_guard, x), 2.0, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward sqrt_guard", x), __enzyme_fwddiff((void *)sqrt_guard, x, 1.0), 2.0, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse log_guard", x), __enzyme_autodiff((void *)log_guard, x), 2.0 * x, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward log_guard", x), __enzyme_fwddiff((void *)log_guard, x, 1.0), 2.0 * x, RTOL_D, ATOL_D);
  }
  CHECK_CLOSE(W("reverse sqrt_guard", 4.0), __enzyme_autodiff((void *)sqrt_guard, 4.0), 0.75, RTOL_D, ATOL_D);
  CHECK_CLOSE(W("reverse log_guard", 2.0), __enzyme_autodiff((void *)log_guard, 2.0), log(2.0) + 1.0, RTOL_D, ATOL_D);

  // fmin(x^2, 1/d) at d = 0: 1/d = inf is not picked.
  for (unsigned i = 0; i < COUNT_OF(as); i++) {
    double x = as[i];
    D2 r = __enzyme_autodiff_d2((void *)min_inf, x, 0.0);
    CHECK_CLOSE(W("reverse min_inf d/dx at d=0", x), r.da, 2.0 * x, RTOL_D, ATOL_D);
    CHECK_TRUE(W("reverse min_inf d/dd at d=0 is finite", x), is_finite_value(r.dd));
    CHECK_CLOSE(W("forward min_inf along x at d=0", x),
                __enzyme_fwddiff((void *)min_inf, x, 1.0, 0.0, 0.0), 2.0 * x, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward min_inf along d at d=0", x),
                __enzyme_fwddiff((void *)min_inf, x, 0.0, 0.0, 1.0), 0.0, RTOL_D, ATOL_D);
  }

  // The same with the other discarding functions; d/dx analytic, d/dd must be finite.
  // (The function must be a constant at each call: a macro, not a table of pointers.)
#define DISCARD_CHECKS(F, SIGN, PLUS)                                                            \
  for (unsigned i = 0; i < COUNT_OF(as); i++) {                                                  \
    double x = as[i];                                                                            \
    D2 r = __enzyme_autodiff_d2((void *)F, x, 0.0);                                              \
    CHECK_CLOSE(W("reverse " #F " d/dx at d=0", x), r.da, (SIGN) * 2.0 * x + (PLUS), RTOL_D,    \
                ATOL_D);                                                                         \
    CHECK_TRUE(W("reverse " #F " d/dd at d=0 is finite", x), is_finite_value(r.dd));            \
    CHECK_CLOSE(W("forward " #F " along d at d=0", x),                                          \
                __enzyme_fwddiff((void *)F, x, 0.0, 0.0, 1.0), 0.0, RTOL_D, ATOL_D);             \
    double d = 0.5 + i;                                                                          \
    r = __enzyme_autodiff_d2((void *)F, x, d);                                                   \
    CHECK_CLOSE(W("reverse " #F " d/dd", x), r.dd, fd2(F, x, d, 1), RTOL_FD, ATOL_FD);           \
  }
  DISCARD_CHECKS(maximum_inf, 1.0, 0.0)
  DISCARD_CHECKS(minimumnum_inf, 1.0, 0.0)
  DISCARD_CHECKS(maximumnum_inf, -1.0, 0.0)
  DISCARD_CHECKS(fdim_inf, 0.0, 1.0)

  // clamp at x = 1: x/(x-1) is infinite and clamped to 2.
  CHECK_CLOSE(W("reverse clamp", 1.0), __enzyme_autodiff((void *)clamp, 1.0), 0.0, RTOL_D, ATOL_D);
  CHECK_CLOSE(W("forward clamp", 1.0), __enzyme_fwddiff((void *)clamp, 1.0, 1.0), 0.0, RTOL_D, ATOL_D);
  CHECK_CLOSE(W("reverse clamp", 3.0), __enzyme_autodiff((void *)clamp, 3.0), fd1(clamp, 3.0), RTOL_FD, ATOL_FD);
#undef W
  return check_report();
}
