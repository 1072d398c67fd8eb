// An external function without a definition (ext_solve, declared only) receives an active value
// inside a defined helper that the differentiated function calls: compiling must fail cleanly,
// naming the function and the call site inside the helper (file:line), and suggesting a fix.
// EXPECT-ERROR: ext_solve
// EXPECT-ERROR: err_external.c:14:
// EXPECT-ERROR: inactive
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
extern double ext_solve(double);

static double helper(double x) {
  return ext_solve(x * x) + x; /* line 14: the offending call */
}
double f(double x) { return helper(x) * 2.0; }

int main(void) {
  double d = __enzyme_autodiff((void *)f, 1.5);
  printf("%f\n", d);
  return 0;
}
