// A user-registered forward derivative dhyp(a, da, b, db) for hyp(a, b), reached with b constant
// (enzyme_const on the caller's parameter): the rule's signature still has a tangent slot for b,
// which must receive 0 (the tangent of a constant). The rule is deliberately wrong
// (7 da - 3 db instead of the true one) so the expected value proves it is used.
#include "check.h"

double __enzyme_fwddiff(void *, ...);

double hyp(double a, double b) { return sqrt(a * a + b * b); }
static double dhyp(double a, double da, double b, double db) {
  (void)a;
  (void)b;
  return 7.0 * da - 3.0 * db;
}
void *__enzyme_register_derivative_hyp[2] = {(void *)hyp, (void *)dhyp};

double f(double x, double y) { return hyp(x, y) * y + x; }

int main(void) {
  static const double xs[] = {-1.1, 0.3, 1.4};
  static const double ys[] = {0.9, -0.6, 2.2};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i], y = ys[i];
    CHECK_CLOSE_AT("forward f, y enzyme_const", x, __enzyme_fwddiff((void *)f, x, 1.0, enzyme_const, y), 7.0 * y + 1.0, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward f, both active", x, __enzyme_fwddiff((void *)f, x, 1.0, y, 0.0), 7.0 * y + 1.0, RTOL_D, ATOL_D);
  }
  return check_report();
}
