// Dot product of two duplicated arrays (runtime length): reverse gradients are the other
// array, ADDED (+=) onto pre-filled shadows; forward tangent = <tx, y> + <x, ty>; both checked
// against finite differences of every component and against each other.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define N 9

double dot(const double *x, const double *y, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += x[i] * y[i];
  return s;
}
// the same as a function of the packed vector (x, y), for finite differences
static double dot_packed(const double *xy, const void *ctx) {
  (void)ctx;
  return dot(xy, xy + N, N);
}

int main(void) {
  double xy[2 * N], dxy[2 * N], pre[2 * N], txy[2 * N];
  unsigned seed = 7;
  for (int i = 0; i < 2 * N; i++) {
    xy[i] = prand(&seed) * 2.0;
    pre[i] = (i % 3) ? 0.0 : 10.0 * prand(&seed); // nonzero initial shadows: the gradient is added
    dxy[i] = pre[i];
    txy[i] = prand(&seed);
  }
  double *x = xy, *y = xy + N, *dx = dxy, *dy = dxy + N;
  __enzyme_autodiff((void *)dot, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, N);
  double grad[2 * N], want[2 * N];
  for (int i = 0; i < N; i++) {
    want[i] = y[i];
    want[N + i] = x[i];
  }
  for (int i = 0; i < 2 * N; i++)
    grad[i] = dxy[i] - pre[i];
  CHECK_ARRAY_CLOSE("reverse shadow minus its initial value (x then y)", grad, want, 2 * N, 1e-12, 1e-12);
  CHECK_GRAD_FD("oracle: analytic gradient", dot_packed, NULL, xy, 2 * N, want, RTOL_FD, ATOL_FD);

  // unmarked pointers are duplicated by default
  double dx2[N] = {0}, dy2[N] = {0};
  __enzyme_autodiff((void *)dot, x, dx2, y, dy2, N);
  CHECK_ARRAY_CLOSE("reverse with default (unmarked) pointer activity dx", dx2, y, N, 0, 0);
  CHECK_ARRAY_CLOSE("reverse with default (unmarked) pointer activity dy", dy2, x, N, 0, 0);

  // partial length: only the first n entries get gradient
  double dx3[N] = {0}, dy3[N] = {0};
  __enzyme_autodiff((void *)dot, x, dx3, y, dy3, 4);
  for (int i = 0; i < N; i++) {
    CHECK_CLOSE("reverse n=4: dx", dx3[i], i < 4 ? y[i] : 0.0, 0, 0);
    CHECK_CLOSE("reverse n=4: dy", dy3[i], i < 4 ? x[i] : 0.0, 0, 0);
  }

  double t = __enzyme_fwddiff((void *)dot, enzyme_dup, x, txy, enzyme_dup, y, txy + N, enzyme_const, N);
  CHECK_CLOSE("forward tangent vs <gradient, direction>", t, dotv(want, txy, 2 * N), RTOL_D, ATOL_D);
  double tx_only = __enzyme_fwddiff((void *)dot, enzyme_dup, x, txy, enzyme_const, y, enzyme_const, N);
  CHECK_CLOSE("forward tangent, y const", tx_only, dotv(y, txy, N), RTOL_D, ATOL_D);
  return check_report();
}
