// break and continue driven by the data: skip negative entries (continue), stop when the running
// product leaves (0.05, 20) (break); and a loop where continue skips every third index.
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double skip_break(const double *x, int n) {
  double p = 1.0, s = 0.0;
  for (int i = 0; i < n; i++) {
    if (x[i] < 0.0)
      continue;
    p *= 1.0 + x[i];
    s += p * x[i];
    if (p > 20.0 || p < 0.05)
      break;
  }
  return s + p;
}
double every_third(const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++) {
    if (i % 3 == 2)
      continue;
    s = s * cos(x[i]) + x[i];
  }
  return s;
}

#define N 12
static double g_x[3][N] = {
    {0.5, -0.2, 0.7, 1.1, -0.4, 0.9, 2.5, 0.3, 0.6, -1.0, 0.2, 0.8}, // breaks at p > 20
    {0.1, -0.3, 0.2, -0.5, 0.05, 0.1, -0.8, 0.15, 0.2, 0.1, -0.1, 0.3}, // never breaks
    {-0.5, -0.1, 0.3, -0.9, 0.4, -0.2, 0.5, 0.1, -0.3, 0.6, 0.2, -0.4},
};
static double sb_p(const double *x, const void *c) { (void)c; return skip_break(x, N); }
static double et_p(const double *x, const void *c) { (void)c; return every_third(x, N); }

int main(void) {
  char what[128];
  for (int c = 0; c < 3; c++) {
    const double *x = g_x[c];
    double d[N] = {0}, d2[N] = {0}, tx[N];
    __enzyme_autodiff((void *)skip_break, x, d, N);
    snprintf(what, sizeof what, "reverse skip_break input %d", c);
    CHECK_GRAD_FD(what, sb_p, NULL, x, N, d, RTOL_FD, ATOL_FD);
    for (int i = 0; i < N; i++)
      tx[i] = 0.3 - 0.05 * i;
    snprintf(what, sizeof what, "forward skip_break input %d", c);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)skip_break, x, tx, N), dotv(d, tx, N), RTOL_D, ATOL_D);
    __enzyme_autodiff((void *)every_third, x, d2, N);
    snprintf(what, sizeof what, "reverse every_third input %d", c);
    CHECK_GRAD_FD(what, et_p, NULL, x, N, d2, RTOL_FD, ATOL_FD);
    for (int i = 2; i < N; i += 3)
      CHECK_CLOSE("every_third: skipped entries get no gradient", d2[i], 0.0, 0, 0);
    snprintf(what, sizeof what, "forward every_third input %d", c);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)every_third, x, tx, N), dotv(d2, tx, N), RTOL_D, ATOL_D);
  }
  // the oracle itself: the first input breaks early, so the tail has zero gradient
  double d[N] = {0};
  __enzyme_autodiff((void *)skip_break, g_x[0], d, N);
  CHECK_CLOSE("skip_break: entries after the break get no gradient", d[N - 1], 0.0, 0, 0);
  return check_report();
}
