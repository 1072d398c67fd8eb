// CFLAGS: -mllvm -enzyme-loose-types
// errors/untyped_copy.c compiled with -enzyme-loose-types: memory whose type is contradictory
// (double from the caller, long in the helper) is taken to hold floats, with a warning, so the
// integer copy carries the adjoints. f copies `in` into `out`, so d(sum_i w_i out_i)/d in_i = w_i
// (analytic), and forward mode moves the tangent along (checked against the same formula).
#include "check.h"

void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

__attribute__((noinline)) void move_words(void *dst, const void *src, int n) {
  for (int i = 0; i < n; i++)
    ((long *)dst)[i] = ((const long *)src)[i];
  if (((const unsigned long *)src)[0] % 3 == 1) /* integer arithmetic on the first word */
    ((long *)dst)[0] = 0;
}

void f(double *out, const double *in, int n) { move_words(out, in, n); }

int main(void) {
  enum { N = 5 };
  double x[N] = {1.5, -2, 3, 0.25, 7}, dx[N] = {0}, y[N], w[N] = {1, 10, 100, -3, 0.5};
  double dy[N];
  memcpy(dy, w, sizeof dy);
  __enzyme_autodiff((void *)f, y, dy, x, dx, N);
  for (int i = 0; i < N; i++)
    CHECK_CLOSE("reverse: d<w, copy(x)>/dx_i = w_i", dx[i], w[i], RTOL_D, ATOL_D);
  double t[N] = {0.5, 1, -1, 2, 3}, ty[N] = {0};
  __enzyme_fwddiff((void *)f, y, ty, x, t, N);
  for (int i = 0; i < N; i++)
    CHECK_CLOSE("forward: tangent of the copy", ty[i], t[i], RTOL_D, ATOL_D);
  return check_report();
}
