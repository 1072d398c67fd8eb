// A recursive function (a call that stays a call) reading a global its caller stored active
// data into: its derivative is analyzed from its arguments alone, so the global's derivative
// would be lost (d/dx x^4 came out as x^3). Refused with a message naming the call and the
// global until a callee's derivative can carry the caller's global shadows.
// EXPECT-ERROR: recursion_global.c:12:
// EXPECT-ERROR: cannot differentiate the call of 'power'
// EXPECT-ERROR: the global @g holds data with a derivative here
#include "check.h"

double __enzyme_autodiff(void *, ...);
double g;
__attribute__((noinline)) double power(int n) { return n == 0 ? g : g * power(n - 1); }
static double f(double x) {
  g = x;
  return power(3);
}

int main(void) {
  CHECK_CLOSE("d/dx x^4", __enzyme_autodiff((void *)f, 2.0), 32.0, 1e-12, 0);
  return check_report();
}
