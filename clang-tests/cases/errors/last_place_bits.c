// Adding one unit in the last place to the bits of an active double gives its neighbour (what
// nextafter computes, and how flang inlines Fortran's NEAREST): its derivative is 1, not 0, so
// the integer reinterpretation must be an error naming the construct, never a silently dropped
// derivative. A step chosen by a select (+1 or -1 by the sign) is the same trick.
// EXPECT-ERROR: reinterprets an active floating-point value as bits
// EXPECT-ERROR: last_place_bits.c:14:
// EXPECT-ERROR: nextafter
#include "check.h"

double __enzyme_autodiff(void *, ...);

static double next_up(double x) {
  long i;
  memcpy(&i, &x, sizeof i);
  i += x >= 0 ? 1 : -1;
  double y;
  memcpy(&y, &i, sizeof y);
  return y * x;
}

int main(void) {
  printf("%f\n", __enzyme_autodiff((void *)next_up, 1.5));
  return 0;
}
