// The first argument of __enzyme_autodiff is a pointer to a double, not a function.
// EXPECT-ERROR: bad_notfn.c:11:
// EXPECT-ERROR: must be a function
#include "check.h"

double __enzyme_autodiff(void *, ...);
double not_a_function = 3.0;

int main(void) {
  double x = 1.5;
  double d = __enzyme_autodiff((void *)&not_a_function, x); // the offending call
  printf("%f\n", d);
  return 0;
}
