// A function flat at infinity (exp, tanh, atan) of a quotient by an infinite value: the quotient
// is finite there (`2 / (1 / z)` is 0 at z = 0), the function is not at its flat end, and its
// nonzero adjoint times the quotient's partial `-2 / q^2 = -0` gives the exact zero that met
// `1 / z`'s partial `-1 / z^2 = -inf`. Session 25's flat-use guard followed the quotient's
// denominator back to `1 / z` and made that product a strong zero: reverse mode gave 0 for
// `exp(-2 / (1 / z))` (= exp(-2 z), derivative -2), `tanh(3 / (1 / z))` (3),
// `atan(1 / (1 / z + 1))` (= atan(z / (1 + z)), 1) and `exp(-1 / (1 / z)) / 2` (-1/2) at z = 0
// (main d625e12: 4 of 44 checks fail at -O0; at -O2 a call with the constant 0 folded to the
// same 0). The flat use now counts only through values that stay infinite
// where their operand is (sums, products, numerators, ...), not through a denominator. At z = 0
// the chain rule's 0 * inf may be NaN (as forward mode and Enzyme give) or the true derivative,
// never another finite value. Oracles: analytic derivatives and central finite differences away
// from 0, forward against reverse.
#include "check.h"

double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff(void *, ...);

static double exp_quot(double z) { return exp(-2.0 / (1.0 / z)); }        /* exp(-2 z) */
static double tanh_quot(double z) { return tanh(3.0 / (1.0 / z)); }       /* tanh(3 z) */
static double atan_quot(double z) { return atan(1.0 / (1.0 / z + 1.0)); } /* atan(z / (1 + z)) */
static double exp_inv(double z) { return exp(-1.0 / (1.0 / z)) * 0.5; }  /* exp(-z) / 2 */

static double d_exp_quot(double z) { return -2.0 * exp(-2.0 * z); }
static double d_tanh_quot(double z) {
  double t = tanh(3.0 * z);
  return 3.0 * (1.0 - t * t);
}
static double d_atan_quot(double z) { return 1.0 / ((1.0 + z) * (1.0 + z) + z * z); }
static double d_exp_inv(double z) { return -0.5 * exp(-z); }

#include "indeterminate_check.h"

int main(void) {
  const double points[] = {0.5, -0.3, 1.7};
  for (int i = 0; i < 3; i++) {
    double z = points[i];
    check_smooth("exp(-2 / (1 / z))", exp_quot, d_exp_quot, z);
    check_smooth("tanh(3 / (1 / z))", tanh_quot, d_tanh_quot, z);
    check_smooth("atan(1 / (1 / z + 1))", atan_quot, d_atan_quot, z);
    check_smooth("exp(-1 / (1 / z)) / 2", exp_inv, d_exp_inv, z);
  }
  check_indeterminate("exp(-2 / (1 / z)) at 0", exp_quot, -2.0);
  check_indeterminate("tanh(3 / (1 / z)) at 0", tanh_quot, 3.0);
  check_indeterminate("atan(1 / (1 / z + 1)) at 0", atan_quot, 1.0);
  check_indeterminate("exp(-1 / (1 / z)) / 2 at 0", exp_inv, -0.5);
  return check_report();
}
