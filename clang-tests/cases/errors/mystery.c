// The differentiated function calls an external function without a definition: the plugin
// cannot know its derivative and must say so (naming it) instead of guessing.
// EXPECT-ERROR: mystery
// EXPECT-ERROR: cannot differentiate
// EXPECT-ERROR: mystery.c:11:
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
extern double mystery(double);
static double f(double x) { return mystery(x) * x; }

int main(void) {
  double d = __enzyme_autodiff((void *)f, 1.5); // requests the derivative of f
  printf("%f\n", d);
  return 0;
}
