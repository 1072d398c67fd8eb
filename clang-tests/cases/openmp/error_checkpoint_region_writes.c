// CFLAGS: -fopenmp
// EXPECT-ERROR: the step 'step' of a checkpointed loop writes memory at
// EXPECT-ERROR: error_checkpoint_region_writes.c:26:
// A checkpointed time loop whose step forks an OpenMP region that writes memory outside the
// checkpoint regions (a counter array reached through a global pointer, captured by the
// region): the reverse sweep would recompute the steps from the counters' final values. The
// write check looked at the fork's arguments only (the stack slots clang passes the captures
// through), so this compiled and the gradient came out wrong (15.3 where finite differences
// give 0.30); the same step without the pragma was already refused. Now the region's body is
// checked through the slots, and the write is a compile error naming the step and the line.
#include "check.h"
#include <enzyme/checkpoint.h>
#include <stdlib.h>
#include <string.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

double *counters;

static void step(int64_t t, double *u, long n) {
  double *q = counters;
#pragma omp parallel for
  for (long i = 0; i < n; i++) {
    u[i] = u[i] * u[i] * (0.5 + q[i]);
    q[i] += 0.25;
  }
}

__attribute__((noinline)) double f(double *restrict x, long n) {
  double *u = malloc(sizeof(double) * n);
  memcpy(u, x, sizeof(double) * n);
  __enzyme_checkpoint_for((void *)step, 0, 4, enzyme_scheme, &EnzymeCkptPeriodic, (void *)0,
                          enzyme_checkpoint_region, u, n * sizeof(double), u, n);
  double s = 0;
  for (long i = 0; i < n; i++)
    s += u[i];
  free(u);
  return s;
}

int main(void) {
  double x[4] = {0.5, 0.6, 0.7, 0.8}, dx[4] = {0}, q[4] = {0, 0.1, 0.2, 0.3};
  counters = q;
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, 4L);
  return 0;
}
