// A user-provided shadow global (`!enzyme_shadow`) smaller than its global: accumulating the
// global's adjoint into it would write past its end, so compilation must stop, name both
// globals and their sizes, point at the first use, and say how to declare the shadow.
// RUN: opt
// IR-ATTACH: @w !enzyme_shadow !{ptr @dw}
// EXPECT-ERROR: bad_user_shadow.c:19
// EXPECT-ERROR: the shadow @dw of global @w (`!enzyme_shadow`) has 8 bytes, the global 32
// EXPECT-ERROR: same type as @g
#include "check.h"

double __enzyme_autodiff(void *, ...);

double w[4] = {1, 2, 3, 4};
double dw;

__attribute__((noinline)) double f(double x) {
  double s = 0;
  for (int i = 0; i < 4; i++)
    s += w[i] * x;
  return s;
}

int main(void) {
  double d = __enzyme_autodiff((void *)f, 2.0);
  return d == 10.0 ? 0 : 1;
}
