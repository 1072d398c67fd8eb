// Batched reverse mode falls back to computing the lanes one after the other where the width-N
// generator does not cover the function (here: a call of a function whose custom augmented
// function counts its runs, so it cannot run once per lane); a function that also updates its
// argument in place is then an error,
// since each lane would see the previous lane's writes. (Without the custom rule, batched
// reverse mode runs the primal once: reverse/batched_rev_lanes.c covers an in-place update.)
// EXPECT-ERROR: batched mode (enzyme_width 2) of 'square_all'
// EXPECT-ERROR: writes memory it also reads
#include "check.h"
extern int enzyme_width, enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
__attribute__((noinline)) static double twice(double x) { return 2 * x; }
static int runs;
static double *aug_twice(double x) { (void)x; runs++; return 0; }
static double rev_twice(double x, double d, double *tape) { (void)x; (void)tape; return 2 * d; }
void *__enzyme_register_gradient_twice[3] = {(void *)twice, (void *)aug_twice, (void *)rev_twice};
static void square_all(double *x, int n) {
  for (int i = 0; i < n; i++) x[i] = twice(x[i] * x[i]);
}
int main(void) {
  double x[3] = {1, 2, 3}, d0[3] = {1, 0, 0}, d1[3] = {0, 1, 0};
  __enzyme_autodiff((void *)square_all, enzyme_width, 2, enzyme_dup, x, d0, d1, enzyme_const, 3);
  printf("%f %f\n", d0[0], d1[1]);
  return 0;
}
