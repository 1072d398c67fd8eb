// Found by ferment-fuzz's malformed-request generator (return-type-too-small): two active
// doubles, but the prototype declares an `int` (or `float`) return, which reinterpreted the
// bytes of the derivatives. A clear error. (A `double` prototype reads the first derivative,
// as in Enzyme: memory/realloc_small.c relies on it.)
// EXPECT-ERROR: ret_too_small.c:17:
// EXPECT-ERROR: cannot hold the 2 derivative results
// EXPECT-ERROR: ret_too_small.c:18:
#include "check.h"

float __enzyme_autodiff_float(void *, ...);
int __enzyme_autodiff_int(void *, ...);
static double g(double x, double y) { return x * sin(y) + y; }

int main(void) {
  double x = 0.5, y = 1.25;
  /* the offending calls */
  float d = __enzyme_autodiff_float((void *)g, x, y);
  int i = __enzyme_autodiff_int((void *)g, x, y);
  printf("%f %d\n", d, i);
  return 0;
}
