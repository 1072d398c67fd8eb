// CFLAGS: -fopenmp
// EXPECT-ERROR: error_flush_wait.c:24:
// EXPECT-ERROR: cannot differentiate a loop that waits for another thread through shared memory
// The same hand-off through a plain flag and omp flush (the classic pre-OpenMP-4 idiom): omp
// flush itself is supported (a fence in both sweeps), but a loop waiting on a flushed variable
// would order only the forward sweep's threads: refused.
#include "check.h"
#include <math.h>
#include <omp.h>

void __enzyme_autodiff(void *, ...);

double handoff(const double *x, int n) {
  double data = 0.0, out = 0.0;
  int flag = 0;
#pragma omp parallel num_threads(2) shared(data, flag, out)
  {
    if (omp_get_thread_num() == 0) {
      data = sin(x[0]) * x[n - 1];
#pragma omp flush
      flag = 1;
#pragma omp flush
    } else {
      while (!flag) {
#pragma omp flush
      }
      out = data * data;
    }
  }
  return out;
}

int main(void) {
  double x[2] = {0.7, 1.3}, dx[2] = {0};
  __enzyme_autodiff((void *)handoff, enzyme_dup, x, dx, enzyme_const, 2);
  return 0;
}
