// CFLAGS: -fopenmp
// EXPECT-ERROR: error_firstprivate_double.c:10:
// EXPECT-ERROR: captured by value by an OpenMP region
#include "check.h"

void __enzyme_autodiff(void *, ...);

// a is active and travels into the region as the bits of an i64
void scale(const double *x, double *y, double a, int n) {
#pragma omp parallel for firstprivate(a)
  for (int i = 0; i < n; i++)
    y[i] = a * x[i];
}

int main(void) {
  double x[4] = {1, 2, 3, 4}, dx[4] = {0}, y[4], dy[4] = {1, 1, 1, 1};
  __enzyme_autodiff((void *)scale, enzyme_dup, x, dx, enzyme_dup, y, dy, 2.0, enzyme_const, 4);
  return 0;
}
