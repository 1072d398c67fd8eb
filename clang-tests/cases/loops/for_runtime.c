// for-loops whose trip count is only known at run time: ascending, descending, strided by 3,
// 64-bit and unsigned counters, a loop starting at a runtime offset, and n = 0.
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_autodiff_d(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);

double desc(const double *x, int n) { // s = sum over i from n-1 down to 0 of s*0.5 + x_i^2
  double s = 0.0;
  for (int i = n - 1; i >= 0; i--)
    s = s * 0.5 + x[i] * x[i];
  return s;
}
double strided(const double *x, long start, long n) {
  double s = 1.0;
  for (long i = start; i < n; i += 3)
    s *= 1.0 + 0.5 * sin(x[i]);
  return s;
}
double uns(const double *x, unsigned n) {
  double s = 0.0;
  for (unsigned i = 0; i != n; ++i)
    s += exp(-x[i] * x[i]) * (double)i;
  return s;
}
double powloop(double x, int n) { // x^n by repeated multiplication
  double p = 1.0;
  for (int i = 0; i < n; i++)
    p *= x;
  return p;
}

#define N 13
static int g_n;
static long g_start;
static double desc_p(const double *x, const void *c) { (void)c; return desc(x, g_n); }
static double strided_p(const double *x, const void *c) { (void)c; return strided(x, g_start, g_n); }
static double uns_p(const double *x, const void *c) { (void)c; return uns(x, (unsigned)g_n); }

int main(void) {
  double x[N];
  unsigned s = 10;
  for (int i = 0; i < N; i++)
    x[i] = prand(&s) * 1.5;
  static const int ns[] = {0, 1, 5, N};
  char what[128];
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    int n = ns[c];
    g_n = n;
    double d1[N] = {0}, d2[N] = {0}, d3[N] = {0}, tx[N];
    for (int i = 0; i < N; i++)
      tx[i] = prand(&s);
    __enzyme_autodiff((void *)desc, x, d1, n);
    snprintf(what, sizeof what, "reverse desc n=%d", n);
    CHECK_GRAD_FD(what, desc_p, NULL, x, N, d1, RTOL_FD, ATOL_FD);
    snprintf(what, sizeof what, "forward desc n=%d", n);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)desc, x, tx, n), dotv(d1, tx, N), RTOL_D, ATOL_D);
    for (long st = 0; st < 3; st++) {
      g_start = st;
      for (int i = 0; i < N; i++)
        d2[i] = 0;
      __enzyme_autodiff((void *)strided, x, d2, st, (long)n);
      snprintf(what, sizeof what, "reverse strided start=%ld n=%d", st, n);
      CHECK_GRAD_FD(what, strided_p, NULL, x, N, d2, RTOL_FD, ATOL_FD);
      snprintf(what, sizeof what, "forward strided start=%ld n=%d", st, n);
      CHECK_CLOSE(what, __enzyme_fwddiff((void *)strided, x, tx, st, (long)n), dotv(d2, tx, N), RTOL_D, ATOL_D);
    }
    __enzyme_autodiff((void *)uns, x, d3, (unsigned)n);
    snprintf(what, sizeof what, "reverse unsigned n=%d", n);
    CHECK_GRAD_FD(what, uns_p, NULL, x, N, d3, RTOL_FD, ATOL_FD);
    for (int i = 0; i < N; i++) {
      double want = i < n ? -2.0 * x[i] * exp(-x[i] * x[i]) * i : 0.0;
      snprintf(what, sizeof what, "reverse unsigned n=%d analytic [%d]", n, i);
      CHECK_CLOSE(what, d3[i], want, RTOL_D, ATOL_D);
    }
  }
  for (int n = 0; n < 30; n += 7) {
    double xv = 1.05;
    double want = n == 0 ? 0.0 : n * pow(xv, n - 1);
    snprintf(what, sizeof what, "reverse x^n by loop n=%d", n);
    CHECK_CLOSE(what, __enzyme_autodiff_d((void *)powloop, xv, n), want, 1e-12, 1e-12);
    snprintf(what, sizeof what, "forward x^n by loop n=%d", n);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)powloop, xv, 1.0, n), want, 1e-12, 1e-12);
  }
  return check_report();
}
