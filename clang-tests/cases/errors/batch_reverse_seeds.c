// Batched split mode of a function returning a double: __enzyme_reverse takes the return's
// adjoints, one per lane (N scalars, or one struct of N), before the tape; a call giving one
// scalar for three lanes is an error that says what is expected.
// EXPECT-ERROR: the 3 adjoints of the return value (one per lane, or one struct or array of 3)
#include "check.h"
extern int enzyme_width, enzyme_dupv, enzyme_const;
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);
static double f(const double *x) { return x[0] * x[1]; }
int main(void) {
  double x[2] = {1, 2}, dx[3][2] = {{0}};
  void *t = __enzyme_augmentfwd((void *)f, enzyme_width, 3, enzyme_dupv, sizeof dx[0], x, dx[0]);
  __enzyme_reverse((void *)f, enzyme_width, 3, enzyme_dupv, sizeof dx[0], x, dx[0], 1.0, t);
  printf("%g\n", dx[0][0]);
  return 0;
}
