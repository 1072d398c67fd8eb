// The entry point called through a local function-pointer variable of the prototype the user
// needs (two active results as a struct), as programs do to avoid casting every call; at -O0
// the pointer lives in a stack slot. The function uses complex.h. Oracles: finite differences
// and forward-vs-reverse.
// RUN: clang opt
#include "check.h"
#include <complex.h>
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double f(double a, double b) {
  double complex z = a + b * I;
  double complex w = cexp(z) * cexp(z) + z * conj(z) + csin(z) / (1.0 + z * z);
  return cabs(w) + carg(w) + creal(csqrt(w));
}

typedef struct { double da, db; } G;

int main(void) {
  G (*grad)(void *, double, double) = (G(*)(void *, double, double))__enzyme_autodiff;
  double (*tangent)(void *, double, double, double, double) =
      (double (*)(void *, double, double, double, double))__enzyme_fwddiff;
  static const double pts[][2] = {{0.4, 0.7}, {-0.3, 1.2}, {1.1, -0.5}};
  for (unsigned k = 0; k < COUNT_OF(pts); k++) {
    double a = pts[k][0], b = pts[k][1];
    G g = grad((void *)f, a, b);
    CHECK_CLOSE_AT("da", a, g.da, fd2(f, a, b, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("db", b, g.db, fd2(f, a, b, 1), RTOL_FD, ATOL_FD);
    double t = tangent((void *)f, a, 0.5, b, -1.0);
    CHECK_CLOSE_AT("forward vs reverse", a, t, 0.5 * g.da - g.db, RTOL_D, 1e-10);
  }
  return check_report();
}
