// RUN: clang opt
// Less common parts of Enzyme's C interface in one program written as Enzyme users write it: a
// Hessian-vector product as __enzyme_fwddiff of a function that calls __enzyme_autodiff
// (enzyme_dupnoneed gradient buffer), __enzyme_iter in a series differentiated twice, split mode
// with enzyme_nofree (two reverse sweeps of one tape, the second frees it: valgrind),
// enzyme_const_return / enzyme_noret with a duplicated output, enzyme_runtime_activity in forward
// mode (a shadow equal to its primal is inactive). Oracles: analytic derivatives.
#include "check.h"
#include <stdlib.h>
extern int enzyme_nofree, enzyme_runtime_activity, enzyme_not_overwritten, enzyme_noret, enzyme_primal_return, enzyme_width, enzyme_dupnoneed, enzyme_const_return;
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);
double __enzyme_autodiff(void *, ...);
void __enzyme_autodiff_v(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);
void __enzyme_fwddiff_v(void *, ...) __asm__("__enzyme_fwddiff");
int __enzyme_iter(int, int);

/* energy of a 3-vector, with a loop and pow */
static double energy(const double *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += pow(x[i], 3) + x[i] * x[(i + 1) % n];
  return s;
}
/* gradient of energy into g (reverse), used inside forward mode: Hessian-vector product */
static void grad(const double *x, double *g, int n) {
  for (int i = 0; i < n; i++) g[i] = 0;
  __enzyme_autodiff_v((void *)energy, enzyme_dup, x, g, enzyme_const, n);
}
/* exp by a series whose length grows with the derivative level */
static double myexp(double x) {
  int n = __enzyme_iter(12, 4);
  double s = 1, t = 1;
  for (int k = 1; k < n; k++) { t *= x / k; s += t; }
  return s;
}
static double dmyexp(double x) { return __enzyme_autodiff((void *)myexp, x); }
static void inplace(double *x, int n) { for (int i = 0; i < n; i++) x[i] = sin(x[i]) * x[i]; }
static double ret_and_write(double *x, double *out) { *out = x[0] * x[1]; return x[0] + x[1]; }

int main(void) {
  enum { N = 3 };
  double x[N] = {0.5, -1.2, 0.8}, v[N] = {1.0, 0.5, -2.0}, g[N], hv[N] = {0};
  __enzyme_fwddiff_v((void *)grad, enzyme_dup, x, v, enzyme_dupnoneed, g, hv, enzyme_const, N);
  for (int i = 0; i < N; i++) {
    int ip = (i + 1) % N, im = (i + N - 1) % N;
    double want = 6 * x[i] * v[i] + v[ip] + v[im];
    CHECK_CLOSE("hvp", hv[i], want, 1e-10, 1e-12);
  }
  double d2 = __enzyme_fwddiff((void *)dmyexp, 0.9, 1.0);
  CHECK_CLOSE("iter second derivative", d2, exp(0.9), 1e-7, 1e-9);
  /* split with nofree: reverse twice with the same tape */
  double y[N] = {0.3, 0.6, -0.9}, y0[N], dy[N] = {1, 1, 1}, dy2[N] = {1, 1, 1};
  for (int i = 0; i < N; i++) y0[i] = y[i];
  void *tape = __enzyme_augmentfwd((void *)inplace, y, dy, N);
  __enzyme_reverse((void *)inplace, y, dy, N, enzyme_nofree, tape);
  __enzyme_reverse((void *)inplace, y, dy2, N, tape);
  for (int i = 0; i < N; i++) {
    double w = cos(y0[i]) * y0[i] + sin(y0[i]);
    CHECK_CLOSE("nofree 1", dy[i], w, 1e-10, 1e-12);
    CHECK_CLOSE("nofree 2", dy2[i], w, 1e-10, 1e-12);
  }
  /* noret: reverse of a function with a result, only the written output seeded */
  double p[2] = {2.0, 3.0}, dp[2] = {0}, o = 0, dout = 1.0;
  __enzyme_autodiff_v((void *)ret_and_write, enzyme_const_return, enzyme_dup, p, dp, enzyme_dup, &o, &dout);
  CHECK_CLOSE("const_return d0", dp[0], 3.0, 1e-12, 1e-12);
  double q[2] = {2.0, 3.0}, dq[2] = {0}, o2 = 0, dout2 = 1.0;
  __enzyme_autodiff_v((void *)ret_and_write, enzyme_noret, enzyme_dup, q, dq, enzyme_dup, &o2, &dout2);
  CHECK_CLOSE("noret d0 (result seeded 1 too)", dq[0], 3.0 + 1.0, 1e-12, 1e-12);
  /* runtime activity in forward mode */
  double a[N] = {1, 2, 3}, da[N] = {0};
  double t = __enzyme_fwddiff((void *)energy, enzyme_runtime_activity, enzyme_dup, a, a, enzyme_const, N);
  CHECK_CLOSE("runtime activity fwd: inactive", t, 0.0, 0, 0);
  da[1] = 1;
  t = __enzyme_fwddiff((void *)energy, enzyme_runtime_activity, enzyme_dup, a, da, enzyme_const, N);
  CHECK_CLOSE("runtime activity fwd: active", t, 3 * 4 + a[0] + a[2], 1e-12, 1e-12);
  return check_report();
}
