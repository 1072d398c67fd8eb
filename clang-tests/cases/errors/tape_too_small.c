// A tape buffer smaller than the tape is an error that says how to size it, not a buffer
// overflow at run time.
// EXPECT-ERROR: enzyme_allocated gives the tape 4 bytes
// EXPECT-ERROR: __enzyme_augmentsize
#include "check.h"

void __enzyme_augmentfwd(void *, ...);
extern int enzyme_allocated, enzyme_tape, enzyme_dup;
static void sq(double *x) { x[0] = x[0] * x[0]; }
int main(void) {
  char tape[4];
  double x = 2.0, dx = 1.0;
  __enzyme_augmentfwd((void *)sq, enzyme_allocated, 4, enzyme_tape, tape, enzyme_dup, &x, &dx);
  printf("%f\n", x);
  return 0;
}
