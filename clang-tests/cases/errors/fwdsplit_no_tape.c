// __enzyme_fwdsplit takes the tape of the augmented forward pass last: a call without it is a
// compile error saying what was expected, at the call's file:line.
// CFLAGS: -g
// EXPECT-ERROR: fwdsplit_no_tape.c:12
// EXPECT-ERROR: the tape returned by __enzyme_augmentfwd
#include "check.h"
double __enzyme_fwdsplit(void *, ...);
static double f(const double *x) { return x[0] * x[1]; }
int main(void) {
  double x[2] = {1, 2}, dx[2] = {1, 0};
  double d =
      __enzyme_fwdsplit((void *)f, enzyme_dup, x, dx);
  printf("%g\n", d);
  return 0;
}
