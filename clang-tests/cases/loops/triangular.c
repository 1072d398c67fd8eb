// Triangular loops: inner bound depends on the outer counter (j <= i, and j from i to n), plus a
// triangular loop whose body overwrites a running value read by the next outer iteration.
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double lower(const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j <= i; j++)
      s += x[i] * sin(x[j]) / (1.0 + i - j);
  return s;
}
double upper_carry(const double *x, int n) {
  double s = 1.0;
  for (int i = 0; i < n; i++) {
    double row = 0.0;
    for (int j = i; j < n; j++)
      row += x[j] * s;
    s = tanh(row) + 0.5 * s;
  }
  return s;
}
#define N 9
static int g_n;
static double lower_p(const double *x, const void *c) { (void)c; return lower(x, g_n); }
static double upper_p(const double *x, const void *c) { (void)c; return upper_carry(x, g_n); }

int main(void) {
  double x[N];
  unsigned s = 123;
  for (int i = 0; i < N; i++)
    x[i] = prand(&s);
  char what[128];
  static const int ns[] = {1, 4, N};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    int n = ns[c];
    g_n = n;
    double d[N] = {0}, want[N] = {0}, tx[N];
    for (int i = 0; i < n; i++)
      for (int j = 0; j <= i; j++) {
        want[i] += sin(x[j]) / (1.0 + i - j);
        want[j] += x[i] * cos(x[j]) / (1.0 + i - j);
      }
    __enzyme_autodiff((void *)lower, x, d, n);
    snprintf(what, sizeof what, "reverse lower n=%d", n);
    CHECK_ARRAY_CLOSE(what, d, want, N, RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "oracle lower n=%d", n);
    CHECK_GRAD_FD(what, lower_p, NULL, x, N, want, RTOL_FD, ATOL_FD);
    for (int i = 0; i < N; i++)
      tx[i] = prand(&s);
    snprintf(what, sizeof what, "forward lower n=%d", n);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)lower, x, tx, n), dotv(want, tx, N), RTOL_D, ATOL_D);
    double du[N] = {0};
    __enzyme_autodiff((void *)upper_carry, x, du, n);
    snprintf(what, sizeof what, "reverse upper_carry n=%d", n);
    CHECK_GRAD_FD(what, upper_p, NULL, x, N, du, RTOL_FD, ATOL_FD);
    snprintf(what, sizeof what, "forward upper_carry n=%d", n);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)upper_carry, x, tx, n), dotv(du, tx, N), 1e-9, 1e-12);
  }
  return check_report();
}
