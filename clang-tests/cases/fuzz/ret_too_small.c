// Found by ferment-fuzz's malformed-request generator (return-type-too-small): two active
// doubles, but the prototype declares a `double` (or `int`) return. The derivatives do not fit:
// a clear error, never the first derivative alone or reinterpreted bytes.
// EXPECT-ERROR: ret_too_small.c:16:
// EXPECT-ERROR: cannot hold the 2 derivative results
// EXPECT-ERROR: ret_too_small.c:17:
#include "check.h"

double __enzyme_autodiff(void *, ...);
int __enzyme_autodiff_int(void *, ...);
static double g(double x, double y) { return x * sin(y) + y; }

int main(void) {
  double x = 0.5, y = 1.25;
  /* the offending calls */
  double d = __enzyme_autodiff((void *)g, x, y);
  int i = __enzyme_autodiff_int((void *)g, x, y);
  printf("%f %d\n", d, i);
  return 0;
}
