// C99 complex: cabs and carg of a double complex (two doubles in the C ABI) become hypot and
// atan2 of (im, re) (plugin/src/complex.rs). -fcx-limited-range makes clang expand complex
// multiplication inline (without it clang calls __muldc3; complex/ covers that form).
// Oracle: central finite differences, forward and reverse.
// CFLAGS: -fcx-limited-range
#include "check.h"
#include <complex.h>
double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff(void *, ...);
double f(double s) {
  double complex z = s + 0.5 * I;
  double complex w = z * z * (1.0 + s * I);
  return creal(w) * carg(w) + cimag(w) * cabs(z);
}
int main(void) {
  const double xs[] = {0.7, -1.2};
  for (int i = 0; i < 2; i++) {
    double x = xs[i], h = 1e-6;
    double fd = (f(x + h) - f(x - h)) / (2 * h);
    CHECK_CLOSE_AT("fwd", x, __enzyme_fwddiff((void *)f, x, 1.0), fd, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("rev", x, __enzyme_autodiff((void *)f, x), fd, RTOL_FD, ATOL_FD);
  }
  return check_report();
}
