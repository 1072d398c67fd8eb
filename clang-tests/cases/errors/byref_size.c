// enzyme_byref N must give the size of the value the pointer points to (here a double: 8 bytes,
// not 4): a compile error naming the parameter and the size, at the call's file:line.
// CFLAGS: -g
// EXPECT-ERROR: byref_size.c:14
// EXPECT-ERROR: enzyme_byref 4 before parameter 1 of 'sq', which is a double of 8 bytes
#include "check.h"
extern int enzyme_byref;
double __enzyme_autodiff(void *, ...);

static double sq(double x) { return x * x; }

int main(void) {
  double x = 3.0;
  double d = __enzyme_autodiff((void *)sq, enzyme_byref, 4, &x);
  CHECK_CLOSE("unreachable", d, 6.0, 0, 0);
  return check_report();
}
