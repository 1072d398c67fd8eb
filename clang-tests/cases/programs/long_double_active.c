// long double as the active type: x86 80-bit scalars in and out, long double math functions,
// a long double accumulator over a double array; analytic and central-difference oracles.
#include "check.h"
extern int enzyme_dup, enzyme_const, enzyme_out, enzyme_width;
long double __enzyme_autodiff(void *, ...);
long double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff_d(void *, ...) __asm__("__enzyme_autodiff");
long double fl(long double x, long double y) { return sinl(x) * expl(y * x) + sqrtl(x * x + y * y) + powl(x, 3.0L) + logl(1.0L + x * x) + tanhl(y); }
double facc(const double *v, int n) {
  long double s = 0;
  for (int i = 0; i < n; i++) s += (long double)v[i] * v[i] * (i + 1);
  return (double)sqrtl(s);
}
static double fl_x(double x) { return (double)fl(x, 0.4L); }
static double fl_y(double y) { return (double)fl(0.8L, y); }
int main(void) {
  long double x = 0.8L, y = 0.4L;
  long double dx = __enzyme_autodiff((void *)fl, x, enzyme_const, y);
  long double dxa = cosl(x) * expl(y * x) + sinl(x) * y * expl(y * x) + x / sqrtl(x * x + y * y) + 3 * x * x + 2 * x / (1 + x * x);
  CHECK_CLOSE("d/dx long double (analytic)", (double)dx, (double)dxa, 1e-15, 1e-16);
  CHECK_CLOSE("d/dx fd", (double)dx, fd1(fl_x, 0.8), RTOL_FD, ATOL_FD);
  long double dy = __enzyme_fwddiff((void *)fl, x, 0.0L, y, 1.0L);
  CHECK_CLOSE("d/dy forward", (double)dy, fd1(fl_y, 0.4), RTOL_FD, ATOL_FD);
  long double dyx = sinl(x) * x * expl(y * x) + y / sqrtl(x * x + y * y) + 1 - tanhl(y) * tanhl(y);
  CHECK_CLOSE("d/dy analytic", (double)dy, (double)dyx, 1e-15, 1e-16);
  double v[5] = {0.3, -1.1, 0.6, 2.0, -0.4}, dv[5] = {0};
  __enzyme_autodiff_d((void *)facc, enzyme_dup, v, dv, enzyme_const, 5);
  CHECK_ARRAY_FD("acc", v, 5, dv, 1e-6, facc(v, 5), RTOL_FD, ATOL_FD);
  return check_report();
}
