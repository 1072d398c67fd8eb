// enzyme_out (an active scalar returned by value) placed before a pointer argument.
// EXPECT-ERROR: out_on_ptr.c:11:
// EXPECT-ERROR: enzyme_out
#include "check.h"

double __enzyme_autodiff(void *, ...);
static double sum2(const double *p) { return p[0] * p[0] + p[1]; }

int main(void) {
  double v[2] = {1.0, 2.0};
  double d = __enzyme_autodiff((void *)sum2, enzyme_out, v); // the offending call
  printf("%f\n", d);
  return 0;
}
