// An active global accumulator (issue 5's "global accumulator") is not supported yet: the plugin
// must fail the compile cleanly, naming the global and the source line, instead of returning a
// derivative that ignores the global.
// EXPECT-ERROR: global variable
// EXPECT-ERROR: acc
// EXPECT-ERROR: global_accumulator_error.c:14:
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);

double acc;
static double f(double x) {
  acc += x * x;
  return acc * 2.0;
}

int main(void) {
  printf("%f\n", __enzyme_autodiff((void *)f, 1.5));
  return 0;
}
