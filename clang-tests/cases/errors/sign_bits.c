// Adding 1 << 52 to the bits of an active double doubles it (an exponent trick): its derivative
// is not zero, so the integer reinterpretation must be an error (naming the construct), never a
// silently dropped derivative. (Masking the sign bit is recognized as fabs by LLVM and works.)
// EXPECT-ERROR: reinterprets an active floating-point value as bits
// EXPECT-ERROR: sign_bits.c:13:
// EXPECT-ERROR: fabs
#include "check.h"

double __enzyme_autodiff(void *, ...);

static double twice(double x) {
  long i;
  memcpy(&i, &x, sizeof i);
  i += 1L << 52;
  double y;
  memcpy(&y, &i, sizeof y);
  return y * x;
}

int main(void) {
  printf("%f\n", __enzyme_autodiff((void *)twice, -1.5));
  return 0;
}
