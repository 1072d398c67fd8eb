// A double moved through a 64-bit integer (memcpy into an unsigned long long, passed to a
// callee, stored into heap memory, read back as a double): the integer view is only a copy of
// the bits, so the derivative flows through it. (At -O2 the bitcast to integers feeds both a
// store and a call; it once crashed the compiler.) Oracle: analytic derivative.
#include "check.h"
#include <stdlib.h>
#include <string.h>

double __enzyme_autodiff(void *, ...);

__attribute__((noinline)) unsigned long long *substore(unsigned long long bits, unsigned long long k) {
  unsigned long long *data = (unsigned long long *)malloc(2 * sizeof(unsigned long long));
  double v;
  memcpy(&v, &bits, sizeof v);
  *(double *)data = v;
  data[1] = k;
  return data;
}

double foo(double x) {
  unsigned long long bits;
  double y = x * x;
  memcpy(&bits, &y, sizeof bits);
  unsigned long long *data = substore(bits, 3);
  double r = ((double *)data)[0] * (double)data[1];
  free(data);
  return r;
}

int main(void) {
  for (int i = -3; i <= 3; i++) {
    double x = i / 2.0 + 0.1;
    CHECK_CLOSE_AT("d/dx 3 x^2", i, __enzyme_autodiff((void *)foo, x), 6 * x, RTOL_D, ATOL_D);
  }
  return check_report();
}
