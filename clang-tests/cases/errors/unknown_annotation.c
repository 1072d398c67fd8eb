// An Enzyme annotation global ferment does not understand is an error naming it, never ignored.
// EXPECT-ERROR: __enzyme_bogus_flag
// EXPECT-ERROR: unknown Enzyme annotation
#include "check.h"

double __enzyme_autodiff(void *, ...);
static double f(double x) { return x * x; }
void *__enzyme_bogus_flag[1] = {(void *)f};

int main(void) {
  printf("%f\n", __enzyme_autodiff((void *)f, 1.5));
  return 0;
}
