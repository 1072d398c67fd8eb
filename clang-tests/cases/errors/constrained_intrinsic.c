// Strict floating-point semantics (`-ffp-model=strict`) make clang emit constrained intrinsics
// (`llvm.experimental.constrained.fmul`...), for which ferment has no rule: a located error that
// names the intrinsic and the flag, never a guess.
// CFLAGS: -ffp-model=strict
// EXPECT-ERROR: LLVM intrinsic 'llvm.experimental.constrained.
// EXPECT-ERROR: constrained_intrinsic.c:12:
// EXPECT-ERROR: -ffp-model=strict
// RUN: clang
#include "check.h"

double __enzyme_autodiff(void *, ...);
static double f(double x) { return x * x + 3.0 * x; }

int main(void) {
  double d = __enzyme_autodiff((void *)f, 1.5);
  printf("%f\n", d);
  return 0;
}
