// A guarded value (one a select, min/max or branch may discard) that is infinite where a
// quotient is, also used as a denominator: `v = 1 / z`, `r = 2 / v` is `2 z`, finite. Where the
// use is kept, `r`'s adjoint times the denominator's partial `-2 / v^2 = -0` is an exact zero
// that is not a discarded value's, and the strong-zero guard on `v` turned it into the wrong
// derivative 0 (main d625e12, reverse mode at z = 0: `r < 5 ? r : 5` and `fmin(3 / (1 / z + 1),
// 7)` at -O0, `(z > 1 ? v : 0) + 2 / v` at -O0..-O3; the true derivatives are 2, 3 and 2). That
// product is now NaN where the denominator is infinite and the adjoint not zero (the chain rule's
// 0 * inf, as forward mode and Enzyme give), and stays zero where the adjoint is (the quotient
// discarded: `z != 0 ? 2 / v : 1` at z = 0 has derivative 0 there). Oracles: analytic derivatives
// and central finite differences away from 0, forward against reverse; at 0 NaN or the true
// derivative, never another finite value, and the analytic 0 where everything is discarded.
#include "check.h"

double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff(void *, ...);

static double sel(double z) {
  double r = 2.0 / (1.0 / z);
  return r < 5.0 ? r : 5.0;
}
static double minq(double z) {
  double v = 1.0 / z;
  return fmin(3.0 / (v + 1.0), 7.0);
}
static double branch(double z) {
  double v = 1.0 / z;
  return (z > 1.0 ? v : 0.0) + 2.0 / v;
}
static double discarded(double z) {
  double v = 1.0 / z;
  return (z != 0.0 ? 2.0 / v : 1.0) + 0.5 * z;
}

static double d_sel(double z) { return 2.0 * z < 5.0 ? 2.0 : 0.0; }
static double d_minq(double z) { return 3.0 / ((1.0 + z) * (1.0 + z)); }
static double d_branch(double z) { return (z > 1.0 ? -1.0 / (z * z) : 0.0) + 2.0; }
static double d_discarded(double z) { return z != 0.0 ? 2.5 : 0.5; }

#include "indeterminate_check.h"

int main(void) {
  const double points[] = {0.5, -0.3, 1.7};
  for (int i = 0; i < 3; i++) {
    double z = points[i];
    check_smooth("r < 5 ? r : 5, r = 2 / (1 / z)", sel, d_sel, z);
    check_smooth("fmin(3 / (1 / z + 1), 7)", minq, d_minq, z);
    check_smooth("(z > 1 ? 1 / z : 0) + 2 / (1 / z)", branch, d_branch, z);
    check_smooth("z != 0 ? 2 / (1 / z) : 1", discarded, d_discarded, z);
  }
  check_indeterminate("r < 5 ? r : 5 at 0", sel, 2.0);
  check_indeterminate("fmin(3 / (1 / z + 1), 7) at 0", minq, 3.0);
  check_indeterminate("(z > 1 ? 1 / z : 0) + 2 / (1 / z) at 0", branch, 2.0);
  /* the quotient discarded: its zero adjoint is a discarded value's, the guard's zero is right */
  CHECK_CLOSE("z != 0 ? 2 / (1 / z) : 1 at 0 (reverse)", __enzyme_autodiff((void *)discarded, origin),
              0.5, 1e-12, 1e-14);
  return check_report();
}
