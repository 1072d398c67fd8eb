// A while loop with a data-dependent trip count nested in a for loop: each entry is shrunk by
// y <- 0.9 sqrt(y) until y < 1.5, a different number of times per entry, so the tape of the
// inner loop is indexed by both counters and grows at run time. Gradient by hand-accumulated
// chain rule, finite differences and forward mode.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double shrink_sum(const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++) {
    double y = x[i] * x[i] + 1.0;
    while (y >= 1.5)
      y = 0.9 * sqrt(y) + 0.01 * y;
    s += y * (1.0 + i);
  }
  return s;
}

#define N 8
static double ss_p(const double *x, const void *c) { (void)c; return shrink_sum(x, N); }

int main(void) {
  double x[N] = {0.2, 3.0, -8.0, 40.0, 0.6, -150.0, 1.2, 1000.0};
  double want[N], d[N] = {0}, tx[N];
  for (int i = 0; i < N; i++) {
    double y = x[i] * x[i] + 1.0, dy = 2.0 * x[i];
    while (y >= 1.5) {
      dy *= 0.45 / sqrt(y) + 0.01;
      y = 0.9 * sqrt(y) + 0.01 * y;
    }
    want[i] = dy * (1.0 + i);
  }
  CHECK_GRAD_FD("oracle: hand-accumulated chain rule", ss_p, NULL, x, N, want, 1e-5, 1e-8);
  __enzyme_autodiff((void *)shrink_sum, x, d, N);
  CHECK_ARRAY_CLOSE("reverse shrink_sum", d, want, N, 1e-12, 1e-14);
  for (int i = 0; i < N; i++)
    tx[i] = 1.0 / (1.0 + i);
  CHECK_CLOSE("forward shrink_sum", __enzyme_fwddiff((void *)shrink_sum, x, tx, N), dotv(want, tx, N), 1e-12, 1e-14);
  // call again with fewer entries: the tape starts from scratch
  double d2[N] = {0};
  __enzyme_autodiff((void *)shrink_sum, x, d2, 3);
  for (int i = 0; i < N; i++)
    CHECK_CLOSE("reverse shrink_sum n=3", d2[i], i < 3 ? want[i] : 0.0, 1e-12, 1e-14);
  return check_report();
}
