// `float complex`: on x86-64 its values travel as <2 x float> (__mulsc3/__divsc3 return one,
// cabsf/cexpf/... take one). Reverse mode. Oracle: central finite differences of the same
// function written in double complex (float tolerances).
#include "check.h"
#include <complex.h>

float __enzyme_autodiff(void *, ...);

__attribute__((noinline)) float g(const float *x) {
  float complex z = x[0] + x[1] * I, w = x[2] + x[3] * I;
  float complex p = z * w, q = z / w;
  return cabsf(p) + cargf(q) + crealf(cexpf(q)) + cimagf(clogf(p)) + crealf(csqrtf(q)) +
         cimagf(csinf(q)) + crealf(ccoshf(q));
}

// The same function in double: its finite differences are the oracle (finite differences of
// the float function itself would be rounding noise).
static double gd(const double *x, const void *ctx) {
  (void)ctx;
  double complex z = x[0] + x[1] * I, w = x[2] + x[3] * I;
  double complex p = z * w, q = z / w;
  return cabs(p) + carg(q) + creal(cexp(q)) + cimag(clog(p)) + creal(csqrt(q)) +
         cimag(csin(q)) + creal(ccosh(q));
}

int main(void) {
  float x[4] = {0.7f, -0.4f, 1.3f, 0.6f}, dx[4] = {0, 0, 0, 0};
  __enzyme_autodiff((void *)g, x, dx);
  double xd[4] = {x[0], x[1], x[2], x[3]}, dxd[4] = {dx[0], dx[1], dx[2], dx[3]};
  CHECK_GRAD_FD("float complex", gd, 0, xd, 4, dxd, RTOL_FDF, ATOL_FDF);
  return check_report();
}
