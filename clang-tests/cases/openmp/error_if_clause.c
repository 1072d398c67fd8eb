// CFLAGS: -fopenmp
// EXPECT-ERROR: error_if_clause.c:9:
// EXPECT-ERROR: a parallel region with an if() clause
#include "check.h"

void __enzyme_autodiff(void *, ...);

void maybe_parallel(const double *x, double *y, int n) {
#pragma omp parallel for if (n > 100)
  for (int i = 0; i < n; i++)
    y[i] = x[i] * x[i];
}

int main(void) {
  double x[4] = {1, 2, 3, 4}, dx[4] = {0}, y[4], dy[4] = {1, 1, 1, 1};
  __enzyme_autodiff((void *)maybe_parallel, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, 4);
  return 0;
}
