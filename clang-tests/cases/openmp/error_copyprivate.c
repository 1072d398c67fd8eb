// CFLAGS: -fopenmp
// EXPECT-ERROR: error_copyprivate.c:13:
// EXPECT-ERROR: the copyprivate clause
#include "check.h"

void __enzyme_autodiff(void *, ...);

void bcast(const double *x, double *y, int n) {
#pragma omp parallel
  {
    double s;
#pragma omp single copyprivate(s)
    s = x[0] * 2.0;
#pragma omp for
    for (int i = 0; i < n; i++)
      y[i] = s * x[i];
  }
}

int main(void) {
  double x[4] = {1, 2, 3, 4}, dx[4] = {0}, y[4], dy[4] = {1, 1, 1, 1};
  __enzyme_autodiff((void *)bcast, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, 4);
  return 0;
}
