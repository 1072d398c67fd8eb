// A function with a user-registered gradient / forward derivative differentiated DIRECTLY
// (__enzyme_autodiff(sq, x), __enzyme_fwddiff(sq, x, dx)), not only through a caller: as in
// Enzyme (which builds the combined gradient from the augmented forward and reverse rules, and
// returns the registered forward function), the rules must be used. They are deliberately wrong
// (100 d and 50 dx instead of 2 x d) so the expected values prove it.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double sq(double x) { return x * x; }
static double aug_sq(double x) { return x * x; }
static double rev_sq(double x, double d) {
  (void)x;
  return 100.0 * d;
}
void *__enzyme_register_gradient_sq[3] = {(void *)sq, (void *)aug_sq, (void *)rev_sq};
static double fwd_sq(double x, double dx) {
  (void)x;
  return 50.0 * dx;
}
void *__enzyme_register_derivative_sq[2] = {(void *)sq, (void *)fwd_sq};

int main(void) {
  static const double xs[] = {-1.5, 0.25, 2.0};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    CHECK_CLOSE_AT("reverse of sq itself uses its custom gradient", x, __enzyme_autodiff((void *)sq, x), 100.0, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward of sq itself uses its custom derivative", x, __enzyme_fwddiff((void *)sq, x, 2.0), 100.0, RTOL_D, ATOL_D);
  }
  return check_report();
}
