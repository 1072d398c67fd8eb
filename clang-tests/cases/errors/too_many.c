// The callee takes one double but the call passes three.
// EXPECT-ERROR: too_many.c:11:
// EXPECT-ERROR: too many arguments
#include "check.h"

double __enzyme_autodiff(void *, ...);
static double f(double x) { return x * x; }

int main(void) {
  double x = 1.5, y = 2.0, z = 3.0;
  double d = __enzyme_autodiff((void *)f, x, y, z); // the offending call
  printf("%f\n", d);
  return 0;
}
