// Reverse mode of a function returning a struct too large for registers (the C ABI returns it
// through a hidden sret pointer parameter) takes the result's adjoint buffer first, right after
// the function (Enzyme's convention): a call without it is an error that names the function, the
// struct and what to pass (before, the hidden pointer was taken for the first parameter and the
// message spoke of a shadow of the wrong type). Forward and reverse mode: batch/sret_lanes.c.
// CFLAGS: -g
// EXPECT-ERROR: reverse mode of 'vf', which returns
// EXPECT-ERROR: (24 bytes) through a hidden result pointer (sret), needs the result's adjoint buffer first
// EXPECT-ERROR: sret_return.c:20
// EXPECT-ERROR: __enzyme_autodiff((void*)f, &d_result, args...)
#include "check.h"
extern int enzyme_out;
typedef struct { double da, db; } G;
G __enzyme_autodiff(void *, ...);
typedef struct { double x, y, z; } V;
static V vf(double a, double b) {
  V v = {a * b, sin(a), b * b};
  return v;
}
int main(void) { G g = __enzyme_autodiff((void *)vf, enzyme_out, 0.7, enzyme_out, 1.5);
  printf("%g\n", g.da);
  return 0;
}
