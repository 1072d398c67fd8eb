// Stop-gradient idioms in C++ code with live std::vector locals (so every call that may throw is
// an `invoke` with a cleanup): a variance-like loss around a baseline mean held fixed with
// __enzyme_ignore_derivatives, a normalization constant computed with __enzyme_call_inactive,
// and a progress logger called through __enzyme_call_inactive. Reverse and forward mode.
// Oracle: the analytic gradient (the baseline and normalizer are constants for it), checked
// against finite differences of the loss with those two values frozen.
// On main b8e9884 a compile error at -O0..-O3 ("__enzyme_ignore_derivatives inside a try block
// is not supported yet"): the wrappers were refused wherever they were `invoke`s.
// CFLAGS: -std=c++17
#include "check.h"
#include <cstdio>
#include <numeric>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern "C" double __enzyme_ignore_derivatives(double);
extern "C" double __enzyme_call_inactive(void *, ...);

static int logged;
static double norm2(const double *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += x[i] * x[i];
  return sqrt(s);
}
static double log_progress(double v) {
  logged++;
  return v;
}

static double loss_with(const double *x, int n, double base, double nrm) {
  std::vector<double> c(x, x + n);
  std::vector<double> w(n);
  for (int i = 0; i < n; i++) w[i] = 1.0 + 0.1 * i;
  double l = 0;
  for (int i = 0; i < n; i++) {
    double d = c[i] - base;
    l += w[i] * d * d / nrm + sin(c[i]);
  }
  return l;
}

static double loss(const double *x, int n) {
  std::vector<double> v(x, x + n);
  double mean = std::accumulate(v.begin(), v.end(), 0.0) / n;
  double base = __enzyme_ignore_derivatives(mean);
  double nrm = __enzyme_call_inactive((void *)norm2, x, n);
  double l = loss_with(x, n, base, nrm);
  __enzyme_call_inactive((void *)log_progress, l);
  return l;
}

#define N 5
static double xs[N] = {0.4, -0.2, 1.3, 0.8, -0.9};
static double fbase, fnrm;
static int which;
static double one(double t) {
  double y[N];
  for (int i = 0; i < N; i++) y[i] = xs[i];
  y[which] = t;
  return loss_with(y, N, fbase, fnrm);
}

int main() {
  fbase = 0;
  for (double x : xs) fbase += x;
  fbase /= N;
  fnrm = norm2(xs, N);
  double g[N] = {0};
  __enzyme_autodiff((void *)loss, enzyme_dup, xs, g, enzyme_const, N);
  for (int i = 0; i < N; i++) {
    double want = 2 * (1.0 + 0.1 * i) * (xs[i] - fbase) / fnrm + cos(xs[i]);
    which = i;
    CHECK_CLOSE_AT("oracle: analytic vs finite differences", i, want, fd1(one, xs[i]), RTOL_FD,
                   ATOL_FD);
    CHECK_CLOSE_AT("reverse", i, g[i], want, RTOL_D, ATOL_D);
    double d[N] = {0};
    d[i] = 1;
    CHECK_CLOSE_AT("forward", i,
                   __enzyme_fwddiff((void *)loss, enzyme_dup, xs, d, enzyme_const, N), want,
                   RTOL_D, ATOL_D);
  }
  CHECK_TRUE("the logger ran", logged == 1 + N);
  return check_report();
}
