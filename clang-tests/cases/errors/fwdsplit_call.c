// __enzyme_fwdsplit reads the values the augmented forward pass loaded from the tape; a call that
// stays a call (here BLAS's ddot, whose forward rule would read x and y again, at their current
// values) cannot be served from the tape, so it is a compile error naming the call, at its
// file:line, never a tangent at the changed inputs.
// CFLAGS: -g
// EXPECT-ERROR: __enzyme_fwdsplit of 'energy'
// EXPECT-ERROR: fwdsplit_call.c:15
// EXPECT-ERROR: the call of 'cblas_ddot' stays a call
#include "check.h"
extern int enzyme_dup, enzyme_const;
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_fwdsplit(void *, ...);
double cblas_ddot(int n, const double *x, int incx, const double *y, int incy);
static double energy(const double *x, int n) {
  double d = cblas_ddot(n, x, 1, x, 1);
  return sin(d);
}
int main(void) {
  double x[3] = {1, 2, 3}, sx[3] = {0}, dx[3] = {1, 0, 0};
  void *t = __enzyme_augmentfwd((void *)energy, enzyme_dup, x, sx, enzyme_const, 3);
  double d = __enzyme_fwdsplit((void *)energy, enzyme_dup, x, dx, enzyme_const, 3, t);
  printf("%g\n", d);
  return 0;
}
