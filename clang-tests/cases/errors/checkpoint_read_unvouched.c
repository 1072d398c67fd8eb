// A checkpointed time loop whose step reads a coefficient array outside the checkpoint regions
// that the differentiated function writes after the loop: the reverse sweep recomputes the
// steps and would read the new coefficients, so the loop is a compile error saying so.
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
  __enzyme_checkpoint_for((void *)step, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, NULL,
                          enzyme_checkpoint_region, u, 2 * sizeof(double), u, c);
  c[0] = 0;
  return u[0];
}

int main(void) {
  double u[2] = {1, 2}, du[2] = {0}, c[1] = {0.9};
  __enzyme_autodiff((void *)f, enzyme_dup, u, du, enzyme_const, c, enzyme_const, (int64_t)8);
  return 0;
}
