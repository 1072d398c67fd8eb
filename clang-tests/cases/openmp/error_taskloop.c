// CFLAGS: -fopenmp
// EXPECT-ERROR: error_taskloop.c:11:
// EXPECT-ERROR: cannot differentiate OpenMP tasks (omp task / taskloop / taskgroup
#include "check.h"

void __enzyme_autodiff(void *, ...);

void squares(const double *x, double *y, int n) {
#pragma omp parallel
#pragma omp single
#pragma omp taskloop
  for (int i = 0; i < n; i++)
    y[i] = x[i] * x[i];
}

int main(void) {
  double x[4] = {1, 2, 3, 4}, dx[4] = {0}, y[4], dy[4] = {1, 1, 1, 1};
  __enzyme_autodiff((void *)squares, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, 4);
  return 0;
}
