// Forward mode through calls that stay calls (-ferment-no-inline): each callee gets a tangent
// function per activity pattern. A scalar helper called with an active and a constant argument,
// a helper with a duplicated input array and an active scalar returning a double, a void helper
// writing a duplicated output array, a recursive helper, and a call whose argument is another
// call's result. Tangents against analytic directional derivatives (checked against finite
// differences).
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"

double __enzyme_fwddiff(void *, ...);

__attribute__((noinline)) double sc(double a, double b) { return a * exp(b) + b; }
__attribute__((noinline)) double wdot(const double *v, double w, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += w * v[i] * v[i];
  return s;
}
__attribute__((noinline)) void axpy(double *y, const double *x, double a, int n) {
  for (int i = 0; i < n; i++)
    y[i] += a * x[i];
}
double pw(double x, int n) { return n == 0 ? 1.0 : x * pw(x, n - 1); }

/* F(x, v[3], a) with out[3] += a v: returns sc(x, 0.5) + sc(a, x) + wdot(v, a, 3) + pw(x, 3) */
double F(double x, const double *v, double a, double *out) {
  axpy(out, v, a, 3);
  return sc(x, 0.5) + sc(a, x) + wdot(v, a, 3) + pw(x, 3);
}
static double F_packed(const double *p, const void *c) {
  (void)c;
  double out[3] = {0, 0, 0};
  return F(p[0], p + 1, p[4], out);
}

int main(void) {
  unsigned s = 23;
  for (int t = 0; t < 4; t++) {
    double p[5];
    for (int i = 0; i < 5; i++)
      p[i] = prand(&s);
    double x = p[0], a = p[4], *v = p + 1;
    double vv = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
    double g[5];
    g[0] = exp(0.5) + a * exp(x) + 1.0 + 3.0 * x * x;
    for (int i = 0; i < 3; i++)
      g[1 + i] = 2.0 * a * v[i];
    g[4] = exp(x) + vv;
    CHECK_GRAD_FD("oracle: F vs finite differences", F_packed, NULL, p, 5, g, RTOL_FD, ATOL_FD);

    double tx = 0.7, tv[3] = {1.0, -0.5, 0.25}, ta = -1.3;
    double out[3] = {0.5, 0.5, 0.5}, tout[3] = {0, 0, 0};
    double got = __enzyme_fwddiff((void *)F, x, tx, v, tv, a, ta, out, tout);
    double want = g[0] * tx + g[1] * tv[0] + g[2] * tv[1] + g[3] * tv[2] + g[4] * ta;
    CHECK_CLOSE("forward F: tangent of the result", got, want, RTOL_D, ATOL_D);
    for (int i = 0; i < 3; i++)
      CHECK_CLOSE("forward F: tangent of out[i] = ta v[i] + a tv[i]", tout[i], ta * v[i] + a * tv[i], RTOL_D, ATOL_D);
    CHECK_CLOSE("forward F: primal out[2]", out[2], 0.5 + a * v[2], RTOL_D, ATOL_D);
  }
  return check_report();
}
