// Nested loops of runtime length: a double sum sum_ij sin(x_i x_j + 0.1 j) (analytic gradient),
// and a triple loop carrying one scalar across all three levels (s = 0.9 s + x_i x_j x_k), whose
// reverse sweep needs s from every inner iteration (finite differences).
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double double_sum(const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      s += sin(x[i] * x[j] + 0.1 * j);
  return s;
}
double triple_carry(const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      for (int k = 0; k < n; k++)
        s = 0.9 * s * (1.0 + 0.1 * x[k]) + x[i] * x[j] * x[k];
  return s;
}
#define N 6
static int g_n;
static double double_sum_p(const double *x, const void *c) { (void)c; return double_sum(x, g_n); }
static double triple_p(const double *x, const void *c) { (void)c; return triple_carry(x, g_n); }

int main(void) {
  double x[N];
  unsigned s = 44;
  for (int i = 0; i < N; i++)
    x[i] = prand(&s);
  char what[128];
  for (int n = 1; n <= N; n += (n < 2 ? 1 : 4)) { // 1, 2, 6
    g_n = n;
    double d[N] = {0}, want[N] = {0}, tx[N];
    for (int k = 0; k < n; k++)
      for (int j = 0; j < n; j++) {
        want[k] += cos(x[k] * x[j] + 0.1 * j) * x[j];
        want[k] += cos(x[j] * x[k] + 0.1 * k) * x[j];
      }
    __enzyme_autodiff((void *)double_sum, x, d, n);
    snprintf(what, sizeof what, "reverse double_sum n=%d", n);
    CHECK_ARRAY_CLOSE(what, d, want, N, RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "oracle double_sum n=%d", n);
    CHECK_GRAD_FD(what, double_sum_p, NULL, x, n, want, RTOL_FD, ATOL_FD);
    for (int i = 0; i < N; i++)
      tx[i] = prand(&s);
    snprintf(what, sizeof what, "forward double_sum n=%d", n);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)double_sum, x, tx, n), dotv(want, tx, N), RTOL_D, ATOL_D);

    double d3[N] = {0};
    __enzyme_autodiff((void *)triple_carry, x, d3, n);
    snprintf(what, sizeof what, "reverse triple_carry n=%d", n);
    CHECK_GRAD_FD(what, triple_p, NULL, x, N, d3, RTOL_FD, ATOL_FD);
    snprintf(what, sizeof what, "forward triple_carry n=%d", n);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)triple_carry, x, tx, n), dotv(d3, tx, N), 1e-9, 1e-12);
  }
  return check_report();
}
