// A loop with two entries (a goto into its middle): irreducible control flow, which reverse mode
// cannot replay. Compilation must stop with an error naming the construct at the function's
// file:line and suggesting a restructuring, at every optimization level, never crash or emit a
// wrong derivative.
// EXPECT-ERROR: irreducible.c:17
// EXPECT-ERROR: irreducible control flow
#include "check.h"

double __enzyme_autodiff(void *, ...);

__attribute__((noinline)) double f(double x, int n) {
  double s = 0;
  int i = 0;
  if (n > 5)
    goto inside;
again:
  s += x * x;
inside:
  s = s * 0.5 + x;
  i++;
  if (i < n)
    goto again;
  return s;
}

int main(void) {
  double d = __enzyme_autodiff((void *)f, 1.5, 8);
  return d > 0 ? 0 : 1;
}
