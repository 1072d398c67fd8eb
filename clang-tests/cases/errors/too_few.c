// The callee takes three doubles but the call passes two.
// EXPECT-ERROR: too_few.c:11:
// EXPECT-ERROR: too few arguments
#include "check.h"

double __enzyme_autodiff(void *, ...);
static double f(double x, double y, double z) { return x * y * z; }

int main(void) {
  double x = 1.5, y = 2.0;
  double d = __enzyme_autodiff((void *)f, x, y); // the offending call
  printf("%f\n", d);
  return 0;
}
