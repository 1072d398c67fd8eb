// Recursion with pointer arguments: rsum(a, n) returns a double computed from a[] only (the
// call's result depends on active memory, not on any active scalar argument), and rscale(a, n, s)
// returns void, writing a[n-1] *= s and recursing with s * 1.1 (the active scalar argument only
// reaches memory inside the callee). Depth up to 6, reverse and forward mode, against analytic
// gradients checked against finite differences.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff_v(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

/* sum_{i<n} a[i]^2 * (i + 1) + cos(a[i]), recursing on n */
double rsum(const double *a, int n) {
  if (n == 0)
    return 0.0;
  return a[n - 1] * a[n - 1] * n + cos(a[n - 1]) + rsum(a, n - 1);
}

/* a[k] *= s * 1.1^(n-1-k) for k = n-1 down to 0 */
void rscale(double *a, int n, double s) {
  if (n == 0)
    return;
  a[n - 1] *= s;
  rscale(a, n - 1, s * 1.1);
}
double rscale_sumsq(double *a, int n, double s) {
  rscale(a, n, s);
  double t = 0.0;
  for (int i = 0; i < n; i++)
    t += a[i] * a[i];
  return t;
}

static double rsum_packed(const double *p, const void *ctx) { return rsum(p, *(const int *)ctx); }
static double rscale_packed(const double *p, const void *ctx) {
  int n = *(const int *)ctx;
  double a[8];
  memcpy(a, p, sizeof(double) * (size_t)n);
  return rscale_sumsq(a, n, p[n]);
}

int main(void) {
  unsigned s = 3;
  for (int n = 1; n <= 6; n++) {
    double a[8] = {0}, want[8];
    for (int i = 0; i < n; i++)
      a[i] = 1.5 * prand(&s);
    for (int i = 0; i < n; i++)
      want[i] = 2.0 * a[i] * (i + 1) - sin(a[i]);
    CHECK_GRAD_FD("oracle: rsum vs finite differences", rsum_packed, &n, a, n, want, RTOL_FD, ATOL_FD);
    double da[8] = {0};
    __enzyme_autodiff_v((void *)rsum, a, da, n);
    CHECK_ARRAY_CLOSE("reverse rsum", da, want, n, RTOL_D, ATOL_D);
    double t[8] = {0};
    t[0] = 1.0;
    CHECK_CLOSE("forward rsum along e_0", __enzyme_fwddiff((void *)rsum, a, t, n), want[0], RTOL_D, ATOL_D);

    /* rscale_sumsq = sum_k a[k]^2 s^2 1.21^(n-1-k) */
    double p[9], sc = 0.8 + 0.1 * n;
    memcpy(p, a, sizeof(double) * (size_t)n);
    p[n] = sc;
    double g[9], ds = 0.0;
    for (int k = 0; k < n; k++) {
      double q = pow(1.21, n - 1 - k);
      g[k] = 2.0 * a[k] * sc * sc * q;
      ds += 2.0 * sc * a[k] * a[k] * q;
    }
    g[n] = ds;
    CHECK_GRAD_FD("oracle: rscale_sumsq vs finite differences", rscale_packed, &n, p, n + 1, g, RTOL_FD, ATOL_FD);
    double a2[8], da2[8] = {0};
    memcpy(a2, a, sizeof a2);
    double got_ds = __enzyme_autodiff((void *)rscale_sumsq, a2, da2, n, sc);
    CHECK_ARRAY_CLOSE("reverse rscale_sumsq da", da2, g, n, RTOL_D, ATOL_D);
    CHECK_CLOSE("reverse rscale_sumsq ds", got_ds, ds, RTOL_D, ATOL_D);
    memcpy(a2, a, sizeof a2);
    double ta[8] = {0};
    CHECK_CLOSE("forward rscale_sumsq along s", __enzyme_fwddiff((void *)rscale_sumsq, a2, ta, n, sc, 1.0), ds, RTOL_D, ATOL_D);
  }
  return check_report();
}
