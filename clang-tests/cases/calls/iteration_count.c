// __enzyme_iter(n, k): n in the primal, n + k per level of differentiation, so that a truncated
// series keeps its accuracy in its derivatives. For the exponential's Taylor polynomial
// S_N(x) = sum_{i<=N} x^i / i!, d/dx S_{N+1} = S_N exactly: with N = __enzyme_iter(8, 1) the
// first and second derivatives equal the primal (to rounding); without the increase they would
// miss the x^8/8! term (2.5e-5 at x = 1).
// Oracle: that identity, and exp(x) to the truncation error.
#include "check.h"
#include <stdint.h>

uint64_t __enzyme_iter(uint64_t, uint64_t);
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double series(double x) {
  uint64_t n = __enzyme_iter(8, 1);
  double term = 1.0, s = 1.0;
  for (uint64_t i = 1; i <= n; i++) {
    term *= x / (double)i;
    s += term;
  }
  return s;
}
double d_series(double x) { return __enzyme_autodiff((void *)series, x); }
double dd_series(double x) { return __enzyme_autodiff((void *)d_series, x); }
double fd_series(double x) { return __enzyme_fwddiff((void *)series, x, 1.0); }

int main(void) {
  const double xs[] = {-0.8, 0.3, 1.0};
  for (unsigned k = 0; k < COUNT_OF(xs); k++) {
    double x = xs[k], p = series(x);
    CHECK_CLOSE_AT("primal is exp to 1e-5", x, p, exp(x), 0, 1e-5);
    CHECK_CLOSE_AT("reverse: d/dx S_9 = S_8", x, d_series(x), p, 1e-14, 1e-15);
    CHECK_CLOSE_AT("forward: d/dx S_9 = S_8", x, fd_series(x), p, 1e-14, 1e-15);
    CHECK_CLOSE_AT("reverse over reverse: S_10'' = S_8", x, dd_series(x), p, 1e-14, 1e-15);
  }
  return check_report();
}
