// CFLAGS: -fopenmp
// EXPECT-ERROR: the step 'step' of a checkpointed loop reads memory through its argument 3 outside the checkpoint regions
// A checkpointed time loop whose step's region reads coefficients c outside the checkpoint
// regions through the stack slot clang passes the capture in, and the differentiated function
// writes c after the loop: the reverse sweep would recompute the steps with other
// coefficients. The read check now follows the capture slot into the region (it saw only the
// slot before; the step was refused then for storing c in memory), so this is the read check's
// compile error naming the argument.
#include "check.h"
#include <enzyme/checkpoint.h>
#include <stdlib.h>
#include <string.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

static void step(int64_t t, double *u, long n, double *c) {
#pragma omp parallel for
  for (long i = 0; i < n; i++)
    u[i] = u[i] * u[i] * (0.5 + c[i]);
}

__attribute__((noinline)) double f(double *restrict x, long n, double *c) {
  double *u = malloc(sizeof(double) * n);
  memcpy(u, x, sizeof(double) * n);
  __enzyme_checkpoint_for((void *)step, 0, 4, enzyme_scheme, &EnzymeCkptPeriodic, (void *)0,
                          enzyme_checkpoint_region, u, n * sizeof(double), u, n, c);
  double s = 0;
  for (long i = 0; i < n; i++)
    s += u[i];
  c[0] = 1.0;
  free(u);
  return s;
}

int main(void) {
  double x[4] = {0.5, 0.6, 0.7, 0.8}, dx[4] = {0}, c[4] = {0, 0.1, 0.2, 0.3};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, 4L, enzyme_const, c);
  return 0;
}
