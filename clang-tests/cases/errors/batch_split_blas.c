// Batched split mode uses the width-N augmented/reverse pair only (one tape for all lanes, so no
// lane-by-lane fallback): a construct the batched generator does not cover yet (a BLAS call) is
// an error at the call, naming the construct.
// EXPECT-ERROR: batched mode (enzyme_width > 1) does not cover
// EXPECT-ERROR: cblas_ddot
#include "check.h"
extern int enzyme_width, enzyme_dupv, enzyme_const;
void *__enzyme_augmentfwd(void *, ...);
double cblas_ddot(int, const double *, int, const double *, int);
static void f(const double *x, double *y) { y[0] = cblas_ddot(3, x, 1, x, 1); }
int main(void) {
  double x[3] = {1, 2, 3}, dx[2][3], y[1], dy[2][1];
  void *t = __enzyme_augmentfwd((void *)f, enzyme_width, 2, enzyme_dupv, sizeof dx[0], x, dx[0], enzyme_dupv,
                                sizeof dy[0], y, dy[0]);
  printf("%p\n", t);
  return 0;
}
