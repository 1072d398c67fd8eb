// A differentiated function that calls an LLVM vector reduction (here written with clang's
// `__builtin_reduce_max` on a vector type; LLVM's vectorizers make the same intrinsics from
// fmax loops and fast-math sums): ferment has no rule for it and must say so, naming the
// intrinsic and how to avoid it, instead of suggesting to define or register an intrinsic.
// EXPECT-ERROR: LLVM intrinsic 'llvm.vector.reduce.fmax
// EXPECT-ERROR: vector_reduce_intrinsic.c:13:
// EXPECT-ERROR: before LLVM's vectorizers
// RUN: clang
#include "check.h"

double __enzyme_autodiff(void *, ...);
typedef double v4 __attribute__((ext_vector_type(4)));
static double f(double x) { v4 v = {x, 2.0 * x, 1.0, -x}; return __builtin_reduce_max(v); }

int main(void) {
  double d = __enzyme_autodiff((void *)f, 1.5);
  printf("%f\n", d);
  return 0;
}
