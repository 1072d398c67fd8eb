// An active array copied into a local array (a memcpy after optimization)
// that is then updated by index and read back: the adjoint of every element
// goes back to the source, not only the first (type analysis knows such an
// array by its element 0). Checked against the analytic gradient.
#include "check.h"

void __enzyme_autodiff(void *, ...);

enum { LEN = 8 };

__attribute__((noinline)) static double f(double *x, double *y) {
  double Y[LEN];
  for (int i = 0; i < LEN; i++) Y[i] = y[i];
  for (int i = 0; i < 5; i++) Y[i] += 2.0 * x[i];
  double s = 0;
  for (int i = 0; i < LEN; i++) s += Y[i] * Y[i];
  return s;
}

int main(void) {
  double x[LEN], y[LEN], dx[LEN] = {0}, dy[LEN] = {0};
  for (int i = 0; i < LEN; i++) x[i] = i, y[i] = 1.0 - 0.1 * i;
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_dup, y, dy);
  for (int i = 0; i < LEN; i++) {
    double Yi = y[i] + (i < 5 ? 2.0 * x[i] : 0.0);
    CHECK_CLOSE_AT("dy", i, dy[i], 2 * Yi, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("dx", i, dx[i], i < 5 ? 4 * Yi : 0.0, RTOL_D, ATOL_D);
  }
  return check_report();
}
