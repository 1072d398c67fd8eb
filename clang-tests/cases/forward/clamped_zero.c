// A zero tangent meeting a partial that is infinite at the point: `cbrt(fmax(x, 0))` at x < 0
// (the clamp's tangent is 0, cbrt'(0) = inf), `pow(fmax(x, 0), 0.5)`, `asin`/`acos` of a value
// clamped to +-1, `log`/`1/z`/`atanh` of a clamped value behind a function that keeps the result
// finite, and a lane or argument seeded with 0 (`cbrt(x) + y` at x = 0, the y direction). Forward
// mode multiplied the tangent by the partial, `0 * inf = NaN` (reverse mode was right: the
// min/max guards its adjoint); now such products are strong-zero products, in scalar and batched
// forward mode. Oracles: the analytic derivative at the clamped point (the clamped side
// contributes 0), central finite differences away from the kink, forward against reverse.
#include "check.h"

typedef struct { double d[2]; } R2;
R2 __enzyme_fwddiff_r2(void *, ...);
double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff(void *, ...);
extern int enzyme_width, enzyme_const;

static double cb(double x) { return cbrt(fmax(x, 0.0)) + 2.0 * x; }
static double pw(double x) { return pow(fmax(x, 0.0), 0.5) + 2.0 * x; }
static double pw3(double x) { return pow(fmax(x, 0.0), 1.0 / 3.0) * 3.0 + 2.0 * x; }
static double as(double x) { return asin(fmin(x, 1.0)) + 2.0 * x; }
static double ac(double x) { return acos(fmax(x, -1.0)) + 2.0 * x; }
static double lg(double x) { return exp(log(fmax(x, 0.0))) + 2.0 * x; }
static double rc(double x) { return exp(-1.0 / fmax(x, 0.0)) + 2.0 * x; }
static double ath(double x) { return tanh(atanh(fmin(x, 1.0))) + 2.0 * x; }
static double sq(double x) { return sqrt(fmax(x, 0.0)) + 2.0 * x; }
// the clamped value through a product and a sum before the infinite partial
static double chain(double x) {
  double z = fmax(x, 0.0) * 3.0 + 0.0;
  return cbrt(z) * 2.0 + sin(x);
}
// two arguments: at x = 0, d/dy is 1 (the x direction's derivative is infinite)
static double two(double x, double y) { return cbrt(x) + y * y; }

#define FD(F, x) ((F((x) + 1e-6) - F((x) - 1e-6)) / 2e-6)

#define CHECK_AT(F, x, want)                                                                   \
  do {                                                                                         \
    double f_ = __enzyme_fwddiff((void *)F, (double)(x), 1.0);                                 \
    double r_ = __enzyme_autodiff((void *)F, (double)(x));                                     \
    R2 b_ = __enzyme_fwddiff_r2((void *)F, enzyme_width, 2, (double)(x), 1.0, 0.0);            \
    CHECK_CLOSE_AT("forward " #F, x, f_, want, RTOL_FD, ATOL_FD);                              \
    CHECK_CLOSE_AT("reverse " #F, x, r_, want, RTOL_FD, ATOL_FD);                              \
    CHECK_CLOSE_AT("forward vs reverse " #F, x, f_, r_, RTOL_D, ATOL_D);                       \
    CHECK_CLOSE_AT("batched lane 0 " #F, x, b_.d[0], f_, RTOL_D, ATOL_D);                      \
    CHECK_CLOSE_AT("batched lane 1 (seed 0) " #F, x, b_.d[1], 0.0, RTOL_D, ATOL_D);            \
  } while (0)

int main(void) {
  // clamped: only the 2x term (chain: cos x) contributes
  CHECK_AT(cb, -0.5, 2.0);
  CHECK_AT(pw, -0.5, 2.0);
  CHECK_AT(pw3, -0.5, 2.0);
  CHECK_AT(as, 1.5, 2.0);
  CHECK_AT(ac, -1.5, 2.0);
  CHECK_AT(lg, -0.5, 2.0);
  CHECK_AT(rc, -0.5, 2.0);
  CHECK_AT(ath, 1.5, 2.0);
  CHECK_AT(sq, -0.5, 2.0);
  CHECK_AT(chain, -0.5, cos(-0.5));
  // away from the kink: finite differences
  CHECK_AT(cb, 0.7, FD(cb, 0.7));
  CHECK_AT(pw, 0.7, FD(pw, 0.7));
  CHECK_AT(pw3, 0.7, FD(pw3, 0.7));
  CHECK_AT(as, 0.3, FD(as, 0.3));
  CHECK_AT(ac, -0.3, FD(ac, -0.3));
  CHECK_AT(lg, 0.7, FD(lg, 0.7));
  CHECK_AT(rc, 0.7, FD(rc, 0.7));
  CHECK_AT(ath, 0.3, FD(ath, 0.3));
  CHECK_AT(sq, 0.7, FD(sq, 0.7));
  CHECK_AT(chain, 0.7, FD(chain, 0.7));
  // a zero seed: the y direction at x = 0, scalar and batched (lanes x, y)
  {
    double y = 0.75;
    double fy = __enzyme_fwddiff((void *)two, 0.0, 0.0, y, 1.0);
    double ry = __enzyme_autodiff((void *)two, enzyme_const, 0.0, y);
    R2 b = __enzyme_fwddiff_r2((void *)two, enzyme_width, 2, 0.0, 1.0, 0.0, y, 0.0, 1.0);
    double fd = ((0.0 + (y + 1e-6) * (y + 1e-6)) - (0.0 + (y - 1e-6) * (y - 1e-6))) / 2e-6;
    CHECK_CLOSE("forward two d/dy at x=0", fy, 2.0 * y, RTOL_FD, ATOL_FD);
    CHECK_CLOSE("forward two d/dy vs FD", fy, fd, RTOL_FD, ATOL_FD);
    CHECK_CLOSE("reverse two d/dy at x=0", ry, fy, RTOL_D, ATOL_D);
    CHECK_CLOSE("batched two lane y", b.d[1], 2.0 * y, RTOL_D, ATOL_D);
    CHECK_TRUE("batched two lane x is not finite", !isfinite(b.d[0]));
  }
  return check_report();
}
