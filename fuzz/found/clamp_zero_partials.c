// Open (wrong derivatives on main 2f9f7dc; the strong-zero work of branch wip23-wrong targets
// them): a value that is exactly 0 (or +-1) on a region of inputs, because a clamp, floor or
// exact-zero factor makes it constant there, reaches a function whose partial is infinite at
// that value. The true derivative of each g below is 1 at x = -0.6 (the clamped term is constant
// near there). Reduced by hand from ferment-fuzz --variant clamp (seeds 1000000..1000299: 134 of
// 240 failed), one shape per function:
// - forward mode: the zero tangent times the infinite partial gives NaN (cbrt, pow(z, 0.75),
//   exp(-1/z), exp(c log z), atan(1/z), asin / acos / tanh(atanh) of a value clamped to +-1);
//   reverse mode is right there (the min/max discard guards it);
// - reverse mode too, when the zero comes from floor or from an exact-zero factor (`(double)(m %
//   2) * g(x)` with m even): the infinite adjoint of z times the zero partial of floor or of the
//   product gives NaN in both modes;
// - reverse mode at -O0 only, a quotient of an exact zero stored to an array and discarded after
//   it is loaded back (`zb[i] != 0 ? tanh(b[i] * zb[i] * zb[i]) : 0`).
// sqrt(fmax(x, 0)) and sqrt(1 - u * u) are right (sqrt'(0) = 0 by convention).
#include "check.h"

double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff(void *, ...);

static volatile int even = 2;

static double cbrt_fmax(double x) { return cbrt(fmax(x, 0.0)) + x; }
static double pow_fmax(double x) { return pow(fmax(x, 0.0), 0.75) + x; }
static double expinv_fmax(double x) { return exp(-1.0 / fmax(x, 0.0)) + x; }
static double explog_fmax(double x) { return exp(1.5 * log(fmax(x, 0.0))) + x; }
static double atan_inv_fdim(double x) { return atan(1.0 / fdim(x, 0.3)) + x; }
static double asin_clamp(double x) { return asin(fmax(-1.0, fmin(x - 1.0, 1.0))) + x; }
static double acos_clamp(double x) { return acos(fmax(-1.0, fmin(x - 1.0, 1.0))) + x; }
static double atanh_clamp(double x) { return tanh(atanh(fmax(-1.0, fmin(x - 1.0, 1.0)))) + x; }
static double cbrt_floor(double x) { return cbrt(floor(0.5 + 0.2 * tanh(x))) + x; }
static double cbrt_zero_factor(double x) { return cbrt((double)(even % 2) * (1.0 + 0.5 * sin(x))) + x; }
static double discard_memory(double x) {
  double b[4], zb[4];
  for (int i = 0; i < 4; i++) {
    zb[i] = (double)(i % 2);
    b[i] = (1.5 + sin(x)) / zb[i];
  }
  double s = x;
  for (int i = 0; i < 4; i++)
    s += zb[i] != 0.0 ? tanh(b[i] * zb[i] * zb[i]) : 0.0;
  return s;
}

static void check(const char *what, double (*g)(double), double want) {
  const double x = -0.6;
  double fd = (g(x + 1e-6) - g(x - 1e-6)) / 2e-6;
  CHECK_CLOSE(what, fd, want, 1e-6, 1e-8);
  CHECK_CLOSE(what, __enzyme_fwddiff((void *)g, x, 1.0), want, 1e-12, 1e-14);
  CHECK_CLOSE(what, __enzyme_autodiff((void *)g, x), want, 1e-12, 1e-14);
}

int main(void) {
  check("cbrt(fmax(x, 0))", cbrt_fmax, 1.0);
  check("pow(fmax(x, 0), 0.75)", pow_fmax, 1.0);
  check("exp(-1 / fmax(x, 0))", expinv_fmax, 1.0);
  check("exp(1.5 log(fmax(x, 0)))", explog_fmax, 1.0);
  check("atan(1 / fdim(x, 0.3))", atan_inv_fdim, 1.0);
  check("asin(clamp(x - 1))", asin_clamp, 1.0);
  check("acos(clamp(x - 1))", acos_clamp, 1.0);
  check("tanh(atanh(clamp(x - 1)))", atanh_clamp, 1.0);
  check("cbrt(floor(...))", cbrt_floor, 1.0);
  check("cbrt(0 * g(x))", cbrt_zero_factor, 1.0);
  // 1 + sum over odd i of tanh'(num) num' with num = 1.5 + sin(x), z = 1
  double x = -0.6, t = tanh(1.5 + sin(x));
  check("discarded quotient through memory", discard_memory, 1.0 + 2.0 * (1.0 - t * t) * cos(x));
  return check_report();
}
