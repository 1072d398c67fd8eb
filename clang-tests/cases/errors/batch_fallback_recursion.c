// Batched forward mode of mutually recursive functions the width-N generator does not cover yet
// (a call returning a pointer to active memory stays a call): the lane-by-lane fallback cannot
// prove that running the recursion again changes nothing it reads, and says so (the error of the
// fallback, since the other one only names what batched mode does not cover).
// CFLAGS: -mllvm -ferment-no-inline
// EXPECT-ERROR: batched mode (enzyme_width 2) of 'g'
// EXPECT-ERROR: lanes cannot be computed one after the other
#include "check.h"
extern int enzyme_width;
typedef struct { double d[2]; } R2;
R2 __enzyme_fwddiff_r2(void *, ...);
__attribute__((noinline)) static double *pick(double *a, int i) { return a + i; }
double g(double *x, int n);
__attribute__((noinline)) double h(double *x, int n) { return n <= 0 ? *pick(x, -n) : sin(g(x, n - 1)); }
__attribute__((noinline)) double g(double *x, int n) { return n <= 0 ? x[1] : h(x, n - 1) * x[0]; }
int main(void) {
  double x[2] = {0.3, 0.7}, d0[2] = {1, 0}, d1[2] = {0, 1};
  R2 r = __enzyme_fwddiff_r2((void *)g, enzyme_width, 2, x, d0, d1, 5);
  printf("%g %g\n", r.d[0], r.d[1]);
  return 0;
}
