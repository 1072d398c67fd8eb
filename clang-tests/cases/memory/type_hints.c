// Enzyme's type hints (`__enzyme_double(p, bytes)` and friends) inside a differentiated function
// and outside it: they tell type analysis what memory holds, carry no derivative, and are removed
// (they have no definition). Oracle: the analytic gradient of x0 * x1 + sum of squares.
#include "check.h"

double __enzyme_autodiff(void *, ...);
void __enzyme_double(void *, unsigned long);
void __enzyme_integer(void *, unsigned long);
extern int enzyme_dup, enzyme_const;

static double f(double *x, long *n) {
  __enzyme_double(x, 3 * sizeof(double));
  __enzyme_integer(n, sizeof(long));
  double s = x[0] * x[1];
  for (long i = 0; i < *n; i++) s += x[i] * x[i];
  return s;
}

int main(void) {
  double x[3] = {2.0, 3.0, -0.5}, d[3] = {0, 0, 0};
  long n = 3;
  __enzyme_double(x, sizeof x); // outside any derivative too
  __enzyme_autodiff((void *)f, enzyme_dup, x, d, enzyme_const, &n);
  CHECK_CLOSE("d/dx0", d[0], x[1] + 2.0 * x[0], RTOL_D, ATOL_D);
  CHECK_CLOSE("d/dx1", d[1], x[0] + 2.0 * x[1], RTOL_D, ATOL_D);
  CHECK_CLOSE("d/dx2", d[2], 2.0 * x[2], RTOL_D, ATOL_D);
  return check_report();
}
