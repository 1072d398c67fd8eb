// Forward mode of a function returning a struct too big for registers (through a hidden sret
// pointer), called as `Big t = __enzyme_fwddiff(f, ...)`: the call returns the tangent of the
// struct, and enzyme_dup_return with enzyme_primal_return returns {primal, tangent}. Oracles:
// analytic tangents and central finite differences of the primal.
#include "check.h"
extern int enzyme_dup_return, enzyme_primal_return;
typedef struct {
  double a, b, c, d;
} Big;
typedef struct {
  Big primal, tangent;
} Both;
Big __enzyme_fwddiff(void *, ...);
Both __enzyme_fwddiff_both(void *, ...);

static Big f(double x, const double *y) {
  Big r = {x * y[0], sin(x) + y[1], y[0] * y[1] * x, exp(x * y[1])};
  return r;
}
static double comp(const Big *r, int k) { return k == 0 ? r->a : k == 1 ? r->b : k == 2 ? r->c : r->d; }

int main(void) {
  double x = 0.6, y[2] = {1.4, -0.7}, dx = 0.5, dy[2] = {-1.0, 2.0};
  Big t = __enzyme_fwddiff((void *)f, x, dx, y, dy);
  Both both = __enzyme_fwddiff_both((void *)f, enzyme_dup_return, enzyme_primal_return, x, dx, y, dy);
  double h = 1e-6;
  double yp[2] = {y[0] + h * dy[0], y[1] + h * dy[1]}, ym[2] = {y[0] - h * dy[0], y[1] - h * dy[1]};
  Big fp = f(x + h * dx, yp), fm = f(x - h * dx, ym), f0 = f(x, y);
  for (int k = 0; k < 4; k++) {
    double fd = (comp(&fp, k) - comp(&fm, k)) / (2 * h);
    CHECK_CLOSE("tangent of a struct returned through sret vs FD", comp(&t, k), fd, RTOL_FD, ATOL_FD);
    CHECK_CLOSE("{primal, tangent}: tangent", comp(&both.tangent, k), comp(&t, k), RTOL_D, ATOL_D);
    CHECK_CLOSE("{primal, tangent}: primal", comp(&both.primal, k), comp(&f0, k), RTOL_D, ATOL_D);
  }
  CHECK_CLOSE("analytic: d a", t.a, dx * y[0] + x * dy[0], RTOL_D, ATOL_D);
  CHECK_CLOSE("analytic: d d", t.d, exp(x * y[1]) * (dx * y[1] + x * dy[1]), RTOL_D, ATOL_D);
  return check_report();
}
