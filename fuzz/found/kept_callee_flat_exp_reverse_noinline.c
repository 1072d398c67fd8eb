// CFLAGS: -mllvm -ferment-no-inline
// Open (round 32): reverse mode of a kept callee that stores exp(-a / z), with a and z its
// arguments, at z = 0 (exp(-inf) = 0, flat in a): the caller's adjoint of b[0] is not zero, the
// exp product with it is 0, and the numerator's adjoint is (1 / z) * -(that 0) = NaN. The
// derivative ferment emits guards that product with the test of the caller's adjoint (`adj == 0`)
// instead of the test of the quotient's own adjoint (which it uses for z): wrong at -O1..-O3, right
// at -O0 and when the callee is inlined. True d/du at s < 0: 2u (b[0] = 0 for every u).
#include "check.h"
extern int enzyme_out;
typedef struct {
  double du, ds;
} D2;
D2 __enzyme_autodiff_d2(void *, ...) __asm__("__enzyme_autodiff");
#define NOINL __attribute__((noinline))
NOINL static void put_exp(double *b, double a, double z) { b[0] = exp(-a / z); }
static double callee_exp(double u, double s) {
  double b[1];
  put_exp(b, 1.0 + u * u, fmax(s, 0.0));
  return u * u + u * b[0];
}
int main(void) {
  static const double us[] = {0.3, -1.25, 2.0};
  for (unsigned k = 0; k < COUNT_OF(us); k++) {
    double u = us[k];
    D2 r = __enzyme_autodiff_d2((void *)callee_exp, u, -0.5);
    CHECK_CLOSE_AT("reverse d/du", u, r.du, 2.0 * u, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse d/ds", u, r.ds, 0.0, RTOL_D, ATOL_D);
  }
  return check_report();
}
