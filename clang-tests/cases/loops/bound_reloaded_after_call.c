// CFLAGS: -mllvm -ferment-no-inline
// A loop bound read back from memory after a call that received its address: scalar evolution
// bounds the trip count only by the counter's type (2^31 - 1 for an int). That is no bound to
// reserve tape rows for (it once reserved 32 GB at -O0, and malloc failed); the tape grows.
#include "check.h"

void __enzyme_autodiff(void *, ...);

__attribute__((noinline)) void touch(int *n, double *s) { *s += *n; }

void f(const double *x, double *y, int n) {
  double s = 0.0;
  touch(&n, &s);
  for (int i = 0; i < n; i++)
    y[i] = s * x[i] * x[i];
}

int main(void) {
  double x[3] = {1, 2, 3}, dx[3] = {0}, y[3], dy[3] = {1, 1, 1};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, 3);
  for (int i = 0; i < 3; i++) // y_i = n x_i^2 with n = 3
    CHECK_CLOSE("d sum y / dx_i", dx[i], 6.0 * x[i], RTOL_D, ATOL_D);
  return check_report();
}
