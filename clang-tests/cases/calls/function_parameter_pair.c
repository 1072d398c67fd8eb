// A static helper that takes TWO functions as parameters and differentiates both (reverse mode
// on one, forward mode on the other), called with the functions in both orders. At -O0 the
// helper is copied once per function it is given (`ferment.fnarg.*`); copying it for its first
// parameter deletes the helper and the second AD call with it, which the pass must find again in
// the copy (it used the deleted call and crashed the compiler before). Oracles: central finite
// differences and analytic derivatives.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
int enzyme_out, enzyme_dup;

typedef double (*fn)(double);
static double cube(double x) { return x * x * x; }
static double wave(double x) { return sin(2 * x) * exp(-0.3 * x); }

/* d/dx of g through reverse mode, plus d/dx of h through forward mode */
static double grad_plus_slope(fn g, fn h, double x) {
  double a = __enzyme_autodiff((void *)g, enzyme_out, x);
  double b = __enzyme_fwddiff((void *)h, enzyme_dup, x, 1.0);
  return a + b;
}

int main(void) {
  for (double x = -1.25; x <= 1.25; x += 0.5) {
    CHECK_CLOSE_AT("cube' + wave'", x, grad_plus_slope(cube, wave, x), 3 * x * x + fd1(wave, x),
                   RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("wave' + cube'", x, grad_plus_slope(wave, cube, x), fd1(wave, x) + 3 * x * x,
                   RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("cube' + cube'", x, grad_plus_slope(cube, cube, x), 6 * x * x, RTOL_D, ATOL_D);
  }
  return check_report();
}
