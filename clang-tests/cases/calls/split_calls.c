// Split reverse mode on a function whose calls stay calls (-ferment-no-inline): each call's
// augmented forward leaves a sub-tape (one per loop iteration, one per recursion level) inside
// the outer tape. Two reverse calls on one tape: the first with enzyme_nofree must leave every
// sub-tape intact for the second, which frees everything (split_calls_asan.c checks with ASan
// and LSan). f(x, n) = sum_i resid(x[i], x[i+1])^2 + pw(x[0], n).
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"

extern int enzyme_nofree;
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

__attribute__((noinline)) double resid(double u, double v) { return u * sin(v) - 0.25; }
double pw(double x, int n) { return n == 0 ? 1.0 : x * pw(x, n - 1); }

double f(const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i + 1 < n; i++) {
    double r = resid(x[i], x[i + 1]);
    s += r * r;
  }
  return s + pw(x[0], n);
}
static double f_packed(const double *x, const void *c) { return f(x, *(const int *)c); }

int main(void) {
  unsigned s = 37;
  for (int n = 2; n <= 6; n += 2) {
    double x[8], dx[8] = {0}, g[8] = {0}, g2[8];
    for (int i = 0; i < n; i++)
      x[i] = prand(&s);
    for (int i = 0; i + 1 < n; i++) {
      double r = x[i] * sin(x[i + 1]) - 0.25;
      g[i] += 2.0 * r * sin(x[i + 1]);
      g[i + 1] += 2.0 * r * x[i] * cos(x[i + 1]);
    }
    g[0] += n * pow(x[0], n - 1);
    CHECK_GRAD_FD("oracle: f vs finite differences", f_packed, &n, x, n, g, RTOL_FD, ATOL_FD);
    void *tape = __enzyme_augmentfwd((void *)f, x, dx, n);
    __enzyme_reverse((void *)f, x, dx, n, 1.0, enzyme_nofree, tape);
    CHECK_ARRAY_CLOSE("first reverse (seed 1, enzyme_nofree)", dx, g, n, RTOL_D, ATOL_D);
    memset(dx, 0, sizeof dx);
    __enzyme_reverse((void *)f, x, dx, n, -1.5, tape);
    for (int i = 0; i < n; i++)
      g2[i] = -1.5 * g[i];
    CHECK_ARRAY_CLOSE("second reverse (seed -1.5) on the same tape", dx, g2, n, RTOL_D, ATOL_D);
  }
  return check_report();
}
