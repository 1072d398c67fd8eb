// A checkpointed time loop whose step writes a global that is not a checkpoint region: the
// reverse sweep could not restore it before recomputing a step, so the loop is a compile error
// naming the global and the fix (list it as a region).
// EXPECT-ERROR: the step writes the global 'total'
// EXPECT-ERROR: enzyme_checkpoint_region, &total, sizeof total
// RUN: clang
#include "check.h"
#include <enzyme/checkpoint.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;
double total;

__attribute__((noinline)) static void step(int64_t i, double *u) {
  u[0] = u[0] * 0.9 + 0.1 * u[1];
  total += u[0];
}

double f(double *u, int64_t n) {
  total = 0;
  __enzyme_checkpoint_for((void *)step, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, NULL,
                          enzyme_checkpoint_region, u, 2 * sizeof(double), u);
  return total;
}

int main(void) {
  double u[2] = {1, 2}, du[2] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, u, du, enzyme_const, (int64_t)8);
  return 0;
}
