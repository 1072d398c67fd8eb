// A checkpointed time loop whose step writes memory outside the checkpoint regions (here the
// history array h, through an argument): the reverse sweep could not restore it before
// recomputing a step, so differentiating it is a compile error naming the step and the argument.
// EXPECT-ERROR: the step 'step' of a checkpointed loop writes memory through its argument 2
// EXPECT-ERROR: checkpoint_write_outside.c:15:
// RUN: clang
#include "check.h"
#include <enzyme/checkpoint.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

__attribute__((noinline)) static void step(int64_t i, double *u, double *h) {
  u[0] = u[0] * 0.9 + 0.1 * u[1];
  h[i] = u[0];
}

double f(double *u, double *h, int64_t n) {
  __enzyme_checkpoint_for((void *)step, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, NULL,
                          enzyme_checkpoint_region, u, 2 * sizeof(double), u, h);
  return u[0] + h[0];
}

int main(void) {
  double u[2] = {1, 2}, du[2] = {0}, h[8], dh[8] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, u, du, enzyme_dup, h, dh, enzyme_const, (int64_t)8);
  return 0;
}
