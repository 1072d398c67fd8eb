// A checkpointed time loop whose step reads coefficients through a plain pointer argument (not a
// region, not `restrict`), run twice by an outer loop of the differentiated function: the second
// run writes the state region again before the first run's reverse sweep recomputes its steps,
// and a region may hold the coefficients, so ferment cannot vouch for them: a compile error
// naming the argument (once the loop runs once, loops/checkpoint_read_apart.c, the reverse sweep
// checks the overlap at run time instead).
// EXPECT-ERROR: reads memory through its argument 2 outside the checkpoint regions
// RUN: clang
#include "check.h"
#include <enzyme/checkpoint.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

__attribute__((noinline)) static void step(int64_t i, double *u, const double *c) {
  u[0] = u[0] * c[0] + 0.1 * u[1];
}

double f(double *u, double *c, int64_t n) {
  for (int r = 0; r < 2; r++)
    __enzyme_checkpoint_for((void *)step, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, NULL,
                            enzyme_checkpoint_region, u, 2 * sizeof(double), u, c);
  return u[0];
}

int main(void) {
  double u[2] = {1, 2}, du[2] = {0}, c[1] = {0.9};
  __enzyme_autodiff((void *)f, enzyme_dup, u, du, enzyme_const, c, enzyme_const, (int64_t)8);
  return 0;
}
