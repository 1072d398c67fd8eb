// Storing through a pointer that may point into enzyme_const memory (a select between a
// duplicated and a constant pointer): the stored value's derivative would have nowhere to go
// (or be written into the constant data), so compilation must stop, name the store and the
// merge, and suggest passing a shadow.
// EXPECT-ERROR: mixed_store.c:15
// EXPECT-ERROR: may point into memory without derivative memory
// EXPECT-ERROR: enzyme_dup
#include "check.h"

void __enzyme_autodiff(void *, ...);

__attribute__((noinline)) void f(double *x, double *c, int flag) {
  double *p = flag ? x : c;
  double v = x[0] * x[0];
  p[1] = v;
}

int main(void) {
  double x[2] = {1, 2}, dx[2] = {0, 1}, c[2] = {3, 4};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, c, enzyme_const, 1);
  return 0;
}
