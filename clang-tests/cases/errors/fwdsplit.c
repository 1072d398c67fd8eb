// __enzyme_fwdsplit of a function that overwrites what it reads (x[i] = x[i] * x[i]): the
// augmented pass already changed x, and ferment's forward derivative reads the primal values again
// instead of from the tape, so it stops with an error naming the write and the request.
// CFLAGS: -g
// EXPECT-ERROR: __enzyme_fwdsplit of 'square_in_place'
// EXPECT-ERROR: fwdsplit.c:13
// EXPECT-ERROR: fwdsplit.c:18
// EXPECT-ERROR: writes memory it also reads
#include "check.h"
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_fwdsplit(void *, ...);
static void square_in_place(double *x, int n) {
  for (int i = 0; i < n; i++) x[i] = x[i] * x[i];
}
int main(void) {
  double x[2] = {1, 2}, dx[2] = {1, 0}, sx[2] = {0};
  void *t = __enzyme_augmentfwd((void *)square_in_place, enzyme_dup, x, sx, 2);
  __enzyme_fwdsplit((void *)square_in_place, enzyme_dup, x, dx, 2, t);
  printf("%g %g\n", dx[0], dx[1]);
  return 0;
}
