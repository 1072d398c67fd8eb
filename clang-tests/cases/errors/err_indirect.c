// The differentiated function calls through a function pointer that comes from another file,
// and no function of this file could be its target: compiling must fail cleanly with a
// message about the indirect call and its location.
// EXPECT-ERROR: indirect call
// EXPECT-ERROR: err_indirect.c:14:
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
typedef double (*unop)(double, int);
extern unop pick_elsewhere(int);

double apply(double x) {
  return pick_elsewhere(2)(x, 3) * x; /* line 14: the indirect call */
}

int main(void) {
  double d = __enzyme_autodiff((void *)apply, 1.5);
  printf("%f\n", d);
  return 0;
}
