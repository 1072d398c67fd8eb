// A static global holding active values across calls of the differentiated code: a recursive
// Chebyshev evaluation memoized in a static table (a later activation reads back what an
// earlier one stored), and a noinline setter/getter pair. Forward mode gave each callee's
// derivative a fresh zeroed shadow of the global on entry, so the tangent read back from the
// memo was 0 (T3' came out 3.88 instead of 2.88 at x = 0.7); the shadow is now zeroed once per
// request. Forward (scalar and enzyme_width 2) and reverse against the analytic derivative
// T_k'(x) = k U_{k-1}(x) and central finite differences.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
typedef struct {
  double d[2];
} Two;
Two __enzyme_fwddiff_2(void *, ...) __asm__("__enzyme_fwddiff");
extern int enzyme_width, enzyme_dupv;

static double memo[16];
static int have[16];

static double cheb(int k, double x) {
  if (have[k])
    return memo[k];
  double v = k == 0 ? 1.0 : k == 1 ? x : 2.0 * x * cheb(k - 1, x) - cheb(k - 2, x);
  memo[k] = v;
  have[k] = 1;
  return v;
}

double cheb_k(double x, int k) {
  memset(have, 0, sizeof have);
  return cheb(k, x);
}

static double slot;
__attribute__((noinline)) void put(double v) { slot = v * v; }
__attribute__((noinline)) double take(double w) { return slot * w; }

double twice(double x) {
  put(sin(x));
  double a = take(x);
  put(x);
  return a + take(3.0);
}

static double cheb_fd(double x) { return cheb_k(x, 5); }
static double twice_fd(double x) { return twice(x); }

/* U_{k-1}(x): T_k' = k U_{k-1} */
static double cheb_u(int k, double x) {
  double u0 = 1.0, u1 = 2.0 * x;
  if (k == 0)
    return u0;
  for (int i = 1; i < k; i++) {
    double u2 = 2.0 * x * u1 - u0;
    u0 = u1;
    u1 = u2;
  }
  return u1;
}

int main(void) {
  static const double xs[] = {0.7, -0.35, 0.9};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    for (int k = 2; k <= 6; k++) {
      double want = k * cheb_u(k - 1, x);
      double t = __enzyme_fwddiff((void *)cheb_k, x, 1.0, enzyme_const, k);
      CHECK_CLOSE_AT("memoized Chebyshev: forward vs k U_{k-1}", x, t, want, RTOL_D, ATOL_D);
      double g = __enzyme_autodiff((void *)cheb_k, x, enzyme_const, k);
      CHECK_CLOSE_AT("memoized Chebyshev: reverse vs k U_{k-1}", x, g, want, RTOL_D, ATOL_D);
    }
    CHECK_CLOSE_AT("oracle: T5' vs finite differences", x, 5 * cheb_u(4, x), fd1(cheb_fd, x), RTOL_FD, ATOL_FD);
    Two w = __enzyme_fwddiff_2((void *)cheb_k, enzyme_width, 2, x, 1.0, -2.0, enzyme_const, 4);
    CHECK_CLOSE_AT("memoized Chebyshev: batched lane 0", x, w.d[0], 4 * cheb_u(3, x), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("memoized Chebyshev: batched lane 1", x, w.d[1], -8 * cheb_u(3, x), RTOL_D, ATOL_D);

    /* twice = sin(x)^2 x + 3 x^2 */
    double want = 2 * sin(x) * cos(x) * x + sin(x) * sin(x) + 6 * x;
    CHECK_CLOSE_AT("oracle: setter/getter vs finite differences", x, want, fd1(twice_fd, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("setter/getter: forward", x, __enzyme_fwddiff((void *)twice, x, 1.0), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("setter/getter: reverse", x, __enzyme_autodiff((void *)twice, x), want, RTOL_D, ATOL_D);
  }
  return check_report();
}
