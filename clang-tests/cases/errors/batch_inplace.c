// Batched reverse mode of a function that updates its argument in place is an error: reverse
// lanes are computed one after the other, and each lane would see the previous lane's writes.
// (Batched forward mode runs the primal once: forward/batched_lanes.c covers it.)
// EXPECT-ERROR: batched mode (enzyme_width 2) of 'square_all'
// EXPECT-ERROR: writes memory it also reads
#include "check.h"
extern int enzyme_width, enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
static void square_all(double *x, int n) {
  for (int i = 0; i < n; i++) x[i] = x[i] * x[i];
}
int main(void) {
  double x[3] = {1, 2, 3}, d0[3] = {1, 0, 0}, d1[3] = {0, 1, 0};
  __enzyme_autodiff((void *)square_all, enzyme_width, 2, enzyme_dup, x, d0, d1, enzyme_const, 3);
  printf("%f %f\n", d0[0], d1[1]);
  return 0;
}
