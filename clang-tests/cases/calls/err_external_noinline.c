// err_external.c's situation with -ferment-no-inline: the external function is reached inside a
// callee that gets its own augmented forward + reverse pair; the error must still name
// ext_solve2 and the line of its call inside the helper.
// EXPECT-ERROR: ext_solve2
// EXPECT-ERROR: err_external_noinline.c:15:
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"

double __enzyme_autodiff(void *, ...);
extern double ext_solve2(double);

__attribute__((noinline)) double helper(double x) {
  double y = sin(x);
  /* the next line calls the undefined function with an active value */
  return ext_solve2(y) * x;
}
double f(double x) { return helper(x) * 2.0 + x; }

int main(void) {
  double d = __enzyme_autodiff((void *)f, 1.5);
  printf("%f\n", d);
  return 0;
}
