// __enzyme_fwdsplit (forward mode reading an augmented forward pass's tape) is not supported: a
// compile error naming the entry point, its file:line and what to call instead.
// CFLAGS: -g
// EXPECT-ERROR: '__enzyme_fwdsplit' (forward mode from the tape of __enzyme_augmentfwd) is not supported yet
// EXPECT-ERROR: fwdsplit.c:14
// EXPECT-ERROR: call __enzyme_fwddiff with the same arguments, without the tape
#include "check.h"
extern int enzyme_dup;
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_fwdsplit(void *, ...);
static double f(const double *x) { return x[0] * x[1]; }
int main(void) {
  double x[2] = {1, 2}, dx[2] = {1, 0}, sx[2] = {0};
  void *t = __enzyme_augmentfwd((void *)f, enzyme_dup, x, sx); double d = __enzyme_fwdsplit((void *)f, enzyme_dup, x, dx, t);
  printf("%g\n", d);
  return 0;
}
