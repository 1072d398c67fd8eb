// The differentiated function calls through a function pointer that no optimization can resolve
// (it is a parameter, and the caller picks it from a volatile variable): compiling must fail
// cleanly with a message about the indirect call and its location.
// EXPECT-ERROR: indirect call
// EXPECT-ERROR: err_indirect.c:14:
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
typedef double (*unop)(double);
static double sq(double x) { return x * x; }
static double cb(double x) { return x * x * x; }

double apply(unop g, double x) { return g(x) * x; } /* line 14: the indirect call */

volatile int choice = 1;

int main(void) {
  unop g = choice ? sq : cb;
  double d = __enzyme_autodiff((void *)apply, enzyme_const, g, 1.5);
  printf("%f\n", d);
  return 0;
}
