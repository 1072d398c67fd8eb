// Early return inside a loop (and inside a nested loop): the reverse sweep must start from the
// iteration where the function returned. f returns s*x_i as soon as the running sum s of
// x_i^2 (1 + 0.1 i) exceeds thr, else -s.
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double first_exceed(const double *x, int n, double thr) {
  double s = 0.0;
  for (int i = 0; i < n; i++) {
    s += x[i] * x[i] * (1.0 + 0.1 * i);
    if (s > thr)
      return s * x[i];
  }
  return -s;
}
// nested search: returns at the first pair with x_i x_j > thr, else the sum of all products
double pair_search(const double *x, int n, double thr) {
  double acc = 0.0;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double p = x[i] * x[j];
      if (p > thr)
        return p * acc + sin(p);
      acc += p;
    }
  return acc;
}

#define N 8
static double g_thr;
static double fe_p(const double *x, const void *c) { (void)c; return first_exceed(x, N, g_thr); }
static double ps_p(const double *x, const void *c) { (void)c; return pair_search(x, N, g_thr); }

int main(void) {
  double x[N] = {0.3, -0.5, 0.8, 0.2, -0.9, 0.6, 0.4, -0.7};
  static const double thrs[] = {0.05, 0.5, 1.2, 100.0}; // returns at different iterations, last never
  char what[128];
  for (unsigned c = 0; c < COUNT_OF(thrs); c++) {
    g_thr = thrs[c];
    double d[N] = {0}, want[N] = {0}, tx[N];
    double s = 0.0;
    int at = -1;
    for (int i = 0; i < N; i++) {
      s += x[i] * x[i] * (1.0 + 0.1 * i);
      if (s > g_thr) {
        at = i;
        break;
      }
    }
    int last = at < 0 ? N - 1 : at;
    for (int k = 0; k <= last; k++)
      want[k] = (at < 0 ? -1.0 : x[at]) * 2.0 * x[k] * (1.0 + 0.1 * k);
    if (at >= 0)
      want[at] += s;
    __enzyme_autodiff((void *)first_exceed, x, d, N, enzyme_const, g_thr);
    snprintf(what, sizeof what, "reverse first_exceed thr=%g (returns at %d)", g_thr, at);
    CHECK_ARRAY_CLOSE(what, d, want, N, RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "oracle first_exceed thr=%g", g_thr);
    CHECK_GRAD_FD(what, fe_p, NULL, x, N, want, RTOL_FD, ATOL_FD);
    for (int i = 0; i < N; i++)
      tx[i] = 0.2 * i - 0.5;
    snprintf(what, sizeof what, "forward first_exceed thr=%g", g_thr);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)first_exceed, x, tx, N, enzyme_const, g_thr), dotv(want, tx, N), RTOL_D, ATOL_D);

    double dp[N] = {0};
    __enzyme_autodiff((void *)pair_search, x, dp, N, enzyme_const, g_thr);
    snprintf(what, sizeof what, "reverse pair_search thr=%g", g_thr);
    CHECK_GRAD_FD(what, ps_p, NULL, x, N, dp, RTOL_FD, ATOL_FD);
    snprintf(what, sizeof what, "forward pair_search thr=%g", g_thr);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)pair_search, x, tx, N, enzyme_const, g_thr), dotv(dp, tx, N), RTOL_D, ATOL_D);
  }
  return check_report();
}
