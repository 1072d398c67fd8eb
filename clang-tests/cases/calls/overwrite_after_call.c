// A callee that is not inlined reads memory that its caller overwrites after the call: the
// callee's reverse sweep must use the values it read, not re-read the (changed) memory.
// Checked against the analytic gradient. Also the combined shape: a function reading an
// array, then overwriting it, then reading again.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"

void __enzyme_autodiff(void *, ...);

__attribute__((noinline)) double sumsq(const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += x[i] * x[i];
  return s;
}

/* f(x) = sumsq(x) with x[i] then replaced by 2 x[i], + sumsq(new x) = 5 sum x^2 */
double f(double *x, int n) {
  double a = sumsq(x, n);
  for (int i = 0; i < n; i++)
    x[i] = 2.0 * x[i];
  return a + sumsq(x, n);
}

/* g(x) = sum_i x_i^2 y_i where y overwrites x after reading it (combined shape) */
double g(double *x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += x[i] * x[i];
  for (int i = 0; i < n; i++)
    x[i] = x[i] * 3.0;
  for (int i = 0; i < n; i++)
    s += x[i];
  return s;
}

int main(void) {
  double x[5], dx[5] = {0}, x0[5];
  for (int i = 0; i < 5; i++)
    x0[i] = x[i] = 0.4 * i - 0.7;
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, 5);
  for (int i = 0; i < 5; i++)
    CHECK_CLOSE("d/dx_i [sumsq(x) + sumsq(2x)]", dx[i], 10.0 * x0[i], 1e-12, 1e-12);
  double y[5], dy[5] = {0}, y0[5];
  for (int i = 0; i < 5; i++)
    y0[i] = y[i] = 0.3 * i + 0.1;
  __enzyme_autodiff((void *)g, enzyme_dup, y, dy, enzyme_const, 5);
  for (int i = 0; i < 5; i++)
    CHECK_CLOSE("d/dy_i [sum y^2 + sum 3y]", dy[i], 2.0 * y0[i] + 3.0, 1e-12, 1e-12);
  return check_report();
}
