// CFLAGS: -mllvm -ferment-no-inline
// Open (NaN in reverse mode on main f32a697 and on wip29-wrong, -O0 with -ferment-no-inline; -O1
// and up forward the store to the load and pass): the caller stores a quotient (`b[0] = 1 / s`)
// into memory a kept callee reads as a factor whose adjoint is zero (`scale`: `b[1] = u * b[0]`,
// b[1] never read). At s = 0 the callee's reverse multiplies the zero adjoint of b[1] by the
// loaded b[0] = inf: d/du is NaN, the true derivative 2u (b[1] is never used). The callee's
// derivative counts memory it did not write as finite, like its arguments, and a test of every
// value a kept callee loads from its parameters (the cheap form of the fix for loop origins and
// kept callees that store quotients: the bits of `x - x` ORed as the forward sweep loads them)
// would cost every kept callee's forward loads (ba_calls' `project`, `cam[k]`), with no loop of
// the caller's to unswitch on the test; the caller cannot pass its own test down without a new
// argument of the callee's derivative. Not fixed. Oracle: the analytic derivative (2u at s = 0).
#include "check.h"

typedef struct { double du, ds; } D2;
D2 __enzyme_autodiff_d2(void *, ...) __asm__("__enzyme_autodiff");

static void scale(double *b, double u) { b[1] = u * b[0]; }
static double caller_quotient(double u, double s) {
  double b[2];
  b[0] = 1 / s;
  scale(b, u);
  return u * u;
}

int main(void) {
  static const double us[] = {0.3, -1.25, 2.0};
  for (unsigned k = 0; k < COUNT_OF(us); k++) {
    D2 r = __enzyme_autodiff_d2((void *)caller_quotient, us[k], 0.0);
    CHECK_CLOSE_AT("reverse caller_quotient d/du", us[k], r.du, 2.0 * us[k], RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse caller_quotient d/ds", us[k], r.ds, 0.0, RTOL_D, ATOL_D);
  }
  return check_report();
}
