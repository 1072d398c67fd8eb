// Forward mode over __enzyme_fixed_point whose state is a global its caller stored active data
// into: the loop is differentiated as a whole, from its arguments alone, and its tangent came
// out 0. Refused, naming the loop's step and the global, until the global's tangent can be
// carried into it. (Reverse mode differentiates the same loop where it runs:
// loops/fixed_point_global_state.c.)
// EXPECT-ERROR: fixed_point_forward_global.c:32:
// EXPECT-ERROR: the fixed-point loop of 'step'
// EXPECT-ERROR: the global @u holds data with a derivative here
#include "check.h"
#include <enzyme/fixed_point.h>

double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;
double u[2], p[2];

__attribute__((noinline)) static int step(int64_t i, const double *tol) {
  double t[2], err = 0.0;
  for (int k = 0; k < 2; k++)
    t[k] = 0.3 * u[k] * u[1 - k] + p[k];
  for (int k = 0; k < 2; k++) {
    err = fmax(err, fabs(t[k] - u[k]));
    u[k] = t[k];
  }
  return err > *tol && i < 500;
}

static double fixed(const double *x, const double *tol) {
  for (int k = 0; k < 2; k++) {
    u[k] = 0.0;
    p[k] = x[k];
  }
  __enzyme_fixed_point((void *)step, enzyme_fp_state, u, (int64_t)sizeof u, enzyme_fp_reduction,
                       1e-30, tol);
  return u[0] + u[1];
}

int main(void) {
  const double tol = 1e-15;
  double x[2] = {0.1, 0.15}, v[2] = {1, 0};
  CHECK_CLOSE("tangent", __enzyme_fwddiff((void *)fixed, enzyme_dup, x, v, enzyme_const, &tol),
              1.1007763920837, 1e-9, 0);
  return check_report();
}
