// A differentiated function calls a user's variadic helper with active doubles among its `...`
// arguments (read back with va_arg): those travel through va_list memory without derivative
// memory, so forward mode must refuse with an error at the call naming the helper (it crashed
// inside the plugin before; reverse mode already refused).
// EXPECT-ERROR: variadic function 'wsum'
// EXPECT-ERROR: variadic_function.c:26:
// EXPECT-ERROR: instead of `...`
// RUN: clang opt
#include <stdarg.h>
#include "check.h"

double __enzyme_fwddiff(void *, ...);

double wsum(int n, ...) {
  va_list ap;
  va_start(ap, n);
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += va_arg(ap, double) * (i + 1);
  va_end(ap);
  return s;
}

double fwd(double x, double y) {
  double t = x + y;
  return wsum(2, t, x) * 2.0;
}

int main(void) {
  double t = __enzyme_fwddiff((void *)fwd, 1.0, 1.0, 2.0, 0.0);
  printf("%g\n", t);
  return 0;
}
