// __enzyme_fwdsplit with null primal pointers (Enzyme's users may pass them: its tangent pass
// reads every primal value from the tape): ferment's forward derivative computes the primal
// again from the arguments, so a null primal with a shadow is a compile error at the call's
// file:line naming the argument, never a crash at run time.
// CFLAGS: -g
// EXPECT-ERROR: fwdsplit_null_primal.c:19
// EXPECT-ERROR: __enzyme_fwdsplit of 'scale'
// EXPECT-ERROR: argument 1 is a null pointer with a shadow
#include "check.h"
extern int enzyme_dup, enzyme_const;
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_fwdsplit(void *, ...);
static void scale(double *y, const double *x, double a) {
  for (int i = 0; i < 3; i++) y[i] = a * x[i] * x[i];
}
int main(void) {
  double x[3] = {1, 2, 3}, y[3], dx[3] = {1, 0, 0}, dy[3] = {0}, sx[3] = {0}, sy[3] = {0};
  void *t = __enzyme_augmentfwd((void *)scale, enzyme_dup, y, sy, enzyme_dup, x, sx, enzyme_const, 2.0);
  __enzyme_fwdsplit((void *)scale, enzyme_dup, (double *)0, dy, enzyme_dup, (double *)0, dx, enzyme_const, 2.0, t);
  printf("%g\n", dy[0]);
  return 0;
}
