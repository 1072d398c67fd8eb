// CFLAGS: -fopenmp
// EXPECT-ERROR: error_spin_wait.c:27:
// EXPECT-ERROR: cannot differentiate a loop that waits for another thread through shared memory
// A hand-off between two threads through a flag (omp atomic write / a spin on omp atomic read):
// the forward sweep's threads are ordered by the flag, but the reverse sweep's would not be
// (the consumer's adjoint of `data` must reach the producer's reverse first), so the gradient
// would be silently wrong (it came out 0): refused, naming the waiting read.
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
#pragma omp atomic write
      flag = 1;
    } else {
      int f = 0;
      while (!f) {
#pragma omp atomic read
        f = flag;
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
