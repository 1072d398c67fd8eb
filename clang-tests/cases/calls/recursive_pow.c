// Recursion (never inlined: differentiated through augmented forward + reverse pairs, or tangent
// functions, calling themselves): pw(x, n) = x * pw(x, n-1), a factorial-like product
// fa(x, n) = (x + n) * fa(x, n-1), and both combined with a call at another depth inside sin().
// Reverse and forward mode against analytic derivatives (checked against finite differences).
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double pw(double x, int n) { return n == 0 ? 1.0 : x * pw(x, n - 1); }
double fa(double x, int n) { return n <= 1 ? x : (x + n) * fa(x, n - 1); }
double pw_fa(double x, int n) { return pw(x, n) + 0.5 * fa(x, n) + sin(pw(x, n / 2)); }

/* oracle for fa: value and derivative by the product rule, iteratively */
static void fa_d(double x, int n, double *v, double *d) {
  double pv = x, pd = 1.0;
  for (int k = 2; k <= n; k++) {
    double nv = (x + k) * pv;
    pd = pv + (x + k) * pd;
    pv = nv;
  }
  *v = pv;
  *d = pd;
}
static double pw_fa_d(double x, int n) {
  double fv, fd;
  fa_d(x, n, &fv, &fd);
  int m = n / 2;
  double dpm = m == 0 ? 0.0 : m * pow(x, m - 1);
  double dpn = n == 0 ? 0.0 : n * pow(x, n - 1);
  return dpn + 0.5 * fd + cos(pow(x, m)) * dpm;
}

static int NN = 0;
static double pw_fa_n(double x) { return pw_fa(x, NN); }

int main(void) {
  static const double xs[] = {-1.3, 0.4, 0.95, 1.7};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    for (int n = 0; n <= 7; n++) {
      double want_pw = n == 0 ? 0.0 : n * pow(x, n - 1);
#define W(s) (snprintf(what, sizeof what, "%s (n=%d)", s, n), what)
      CHECK_CLOSE_AT(W("reverse pw'"), x, __enzyme_autodiff((void *)pw, x, n), want_pw, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT(W("forward pw'"), x, __enzyme_fwddiff((void *)pw, x, 1.0, n), want_pw, RTOL_D, ATOL_D);
      double fv, fd;
      fa_d(x, n, &fv, &fd);
      CHECK_CLOSE_AT(W("oracle: fa value"), x, fv, fa(x, n), RTOL_D, ATOL_D);
      CHECK_CLOSE_AT(W("reverse fa'"), x, __enzyme_autodiff((void *)fa, x, n), fd, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT(W("forward fa'"), x, __enzyme_fwddiff((void *)fa, x, 1.0, n), fd, RTOL_D, ATOL_D);
      double want = pw_fa_d(x, n);
      NN = n;
      CHECK_CLOSE_AT(W("oracle: (pw + fa + sin pw)' vs finite differences"), x, want, fd1(pw_fa_n, x), RTOL_FD, ATOL_FD);
      CHECK_CLOSE_AT(W("reverse pw + fa + sin(pw)"), x, __enzyme_autodiff((void *)pw_fa, x, n), want, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT(W("forward pw + fa + sin(pw)"), x, __enzyme_fwddiff((void *)pw_fa, x, 1.0, n), want, RTOL_D, ATOL_D);
#undef W
    }
  }
  return check_report();
}
