// Four stores through pointers that may point into enzyme_const memory (selects between
// duplicated and constant pointers). The error names the first store in program order and its
// merge, the same on every compile (the deterministic-O2 config compiles it twice and compares
// the diagnostics).
// EXPECT-ERROR: mixed_store_many.c:19:8: ferment: 'store double
// EXPECT-ERROR: may point into memory without derivative memory
// EXPECT-ERROR: = select i1
#include "check.h"

void __enzyme_autodiff(void *, ...);

__attribute__((noinline)) void f(double *x, double *c, double *e, int flag) {
  double *p = flag ? x : c;
  double *q = flag > 1 ? e : x;
  double *r = flag > 2 ? c : x;
  double *s = flag > 3 ? x : e;
  double v = x[0] * x[0];
  // the first offending store
  p[1] = v;
  q[1] = v;
  r[1] = v;
  s[1] = v;
}

int main(void) {
  double x[2] = {1, 2}, dx[2] = {0, 1}, c[2] = {3, 4}, e[2] = {0, 0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, c, enzyme_const, e,
                    enzyme_const, 1);
  return 0;
}
