// CFLAGS: -fopenmp
// EXPECT-ERROR: error_atomic_update.c:14:
// EXPECT-ERROR: cannot differentiate an atomic update of an active floating-point variable other than x += v
// EXPECT-ERROR: omp critical
#include "check.h"

void __enzyme_autodiff(void *, ...);

double product(const double *x, int n) {
  double p = 1.0;
#pragma omp parallel for
  for (int i = 0; i < n; i++) {
#pragma omp atomic
    p *= x[i];
  }
  return p;
}

int main(void) {
  double x[4] = {1, 2, 3, 4}, dx[4] = {0};
  __enzyme_autodiff((void *)product, enzyme_dup, x, dx, enzyme_const, 4);
  return 0;
}
