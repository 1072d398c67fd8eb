// CFLAGS: -fopenmp
// EXPECT-ERROR: error_task.c:13:
// EXPECT-ERROR: cannot differentiate OpenMP tasks (omp task
#include "check.h"
#include <omp.h>

void __enzyme_autodiff(void *, ...);

void tasks(const double *x, double *y, int n) {
#pragma omp parallel
  {
    int me = omp_get_thread_num();
#pragma omp task
    y[me % n] = x[me % n] * x[me % n];
  }
}

int main(void) {
  double x[4] = {1, 2, 3, 4}, dx[4] = {0}, y[4], dy[4] = {1, 1, 1, 1};
  __enzyme_autodiff((void *)tasks, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, 4);
  return 0;
}
