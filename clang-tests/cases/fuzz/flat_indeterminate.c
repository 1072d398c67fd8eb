// Zero adjoints at an infinite value meet the partial that made it infinite (`1 / z^2` at z = 0).
// The strong zero (guard) is the true derivative only where the use is flat enough to beat that
// singularity: `exp(-1 / z^2)`, and `pow(1 / z^2, -3)` (= z^6). `pow(1 / z, -1)` is z, whose
// derivative at z = 0 is 1 = (-1 / q^2)(-1 / z^2) in the limit: the product of the two factors
// there is 0 * inf, and a strong zero gave the finite wrong derivative 0 in reverse mode (main
// d625e12: reverse 0 at -O0..-O3, 1 of 64 checks fails). So would a quotient by an infinite
// value (`1 / (1 / z)`, `a / (1 + 1 / z)`: derivatives 1 and a at z = 0; see also
// flat_through_quotient.c). At z = 0 such an
// indeterminate product may be NaN (as in forward mode and Enzyme) or the true derivative, never
// another finite value. Oracles: analytic derivatives and central finite differences away from
// 0, forward against reverse; at 0 the analytic derivative where a strong zero is right (z^6 + z,
// 2^(-1 / z^2) + z: 1).
#include "check.h"

double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff(void *, ...);

static volatile double minus_one = -1.0; /* not a constant: pow stays a call */
static volatile double two = 2.0;

static double pow_inv(double z) { return pow(1.0 / z, minus_one); }          /* z */
static double pow_inv_k(double z) { return pow(1.0 / z, -1.0) + 0.0 * z; }  /* z */
static double inv_inv(double z) { return 1.0 / (1.0 / z); }                 /* z */
static double frac_inv(double z) { return two / (1.0 + 1.0 / z); }          /* 2 z / (z + 1) */
static double pow_flat(double z) { return pow(1.0 / (z * z), -3.0) + z; }    /* z^6 + z */
static double pow_exp(double z) { return pow(two, -1.0 / (z * z)) + z; }     /* 2^(-1/z^2) + z */

static double d_pow_inv(double z) { (void)z; return 1.0; }
static double d_frac_inv(double z) { return 2.0 / ((z + 1.0) * (z + 1.0)); }
static double d_pow_flat(double z) { return 6.0 * z * z * z * z * z + 1.0; }
static double d_pow_exp(double z) {
  return z == 0 ? 1.0 : pow(2.0, -1.0 / (z * z)) * log(2.0) * 2.0 / (z * z * z) + 1.0;
}

#include "indeterminate_check.h"

int main(void) {
  const double points[] = {0.5, -0.3, 1.7};
  for (int i = 0; i < 3; i++) {
    double z = points[i];
    check_smooth("pow(1 / z, -1)", pow_inv, d_pow_inv, z);
    check_smooth("pow(1 / z, -1.0)", pow_inv_k, d_pow_inv, z);
    check_smooth("1 / (1 / z)", inv_inv, d_pow_inv, z);
    check_smooth("2 / (1 + 1 / z)", frac_inv, d_frac_inv, z);
    check_smooth("pow(1 / z^2, -3)", pow_flat, d_pow_flat, z);
    check_smooth("pow(2, -1 / z^2)", pow_exp, d_pow_exp, z);
  }
  check_indeterminate("pow(1 / z, -1) at 0", pow_inv, 1.0);
  check_indeterminate("pow(1 / z, -1.0) at 0", pow_inv_k, 1.0);
  check_indeterminate("1 / (1 / z) at 0", inv_inv, 1.0);
  check_indeterminate("2 / (1 + 1 / z) at 0", frac_inv, 2.0);
  /* flat enough: the strong zero is the derivative (reverse mode) */
  CHECK_CLOSE("pow(1 / z^2, -3) at 0", __enzyme_autodiff((void *)pow_flat, 0.0), 1.0, 1e-12, 1e-14);
  CHECK_CLOSE("pow(2, -1 / z^2) at 0", __enzyme_autodiff((void *)pow_exp, 0.0), 1.0, 1e-12, 1e-14);
  return check_report();
}
