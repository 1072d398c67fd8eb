// The differentiated function calls through a function pointer that no optimization can resolve
// (it is a parameter, and the caller picks it from a volatile variable): ferment dispatches the
// call over the functions of this file whose address is taken and whose type matches, so each
// choice is differentiated. Oracles: analytic derivatives; reverse and forward; clang and opt.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
typedef double (*unop)(double);
static double sq(double x) { return x * x; }
static double cb(double x) { return x * x * x; }

double apply(unop g, double x) { return g(x) * x; }

volatile int choice = 1;

int main(void) {
  for (int c = 0; c < 2; c++) {
    choice = c;
    unop g = choice ? sq : cb;
    double x = 1.5;
    double want = choice ? 3 * x * x : 4 * x * x * x;
    CHECK_CLOSE("reverse through a function-pointer parameter",
                __enzyme_autodiff((void *)apply, enzyme_const, g, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE("forward through a function-pointer parameter",
                __enzyme_fwddiff((void *)apply, enzyme_const, g, x, 1.0), want, RTOL_D, ATOL_D);
  }
  return check_report();
}
