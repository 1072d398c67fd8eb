// C99 `double complex` arithmetic and <complex.h> functions inside a differentiated function:
// clang calls __muldc3/__divdc3 for * and / (at every level, at least on the NaN path), and
// libm's cabs, carg, cexp, clog, csqrt, cpow, csin, ccos, ctan, csinh, ccosh, ctanh.
// Reverse and forward mode. Oracles: central finite differences, forward vs reverse.
#include "check.h"
#include <complex.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double f(const double *x, const void *ctx) {
  (void)ctx;
  double complex z = x[0] + x[1] * I, w = x[2] + x[3] * I;
  double complex p = z * w, q = z / w, r = w / (0.3 - 2.0 * I);
  double s = cabs(p) + carg(q) + creal(cexp(q)) + cimag(clog(p)) + creal(csqrt(r));
  s += cimag(csqrt(-1.0 * w)) + creal(cpow(z, 0.5 * w)) + cimag(csin(q)) + creal(ccos(q));
  s += cimag(ctan(0.5 * z)) + creal(csinh(q)) + cimag(ccosh(q)) + creal(ctanh(q));
  return s;
}

__attribute__((noinline)) double g(const double *x) { return f(x, 0); }

int main(void) {
  double x[4] = {0.7, -0.4, 1.3, 0.6}, dx[4] = {0, 0, 0, 0};
  __enzyme_autodiff((void *)g, x, dx);
  CHECK_GRAD_FD("complex arithmetic and functions", f, 0, x, 4, dx, RTOL_FD, ATOL_FD);
  double t[4] = {0.3, -1.1, 0.8, 0.2};
  double tangent = __enzyme_fwddiff((void *)g, x, t);
  double rev = 0;
  for (int i = 0; i < 4; i++) rev += dx[i] * t[i];
  CHECK_CLOSE("forward vs reverse", tangent, rev, RTOL_D, ATOL_D);
  return check_report();
}
