// CFLAGS: -fopenmp
// EXPECT-ERROR: error_test_lock.c:14:
// EXPECT-ERROR: cannot differentiate omp_test_lock
#include "check.h"
#include <omp.h>

void __enzyme_autodiff(void *, ...);
static omp_lock_t lock;

double try_add(const double *x, int n) {
  double s = 0.0;
#pragma omp parallel for
  for (int i = 0; i < n; i++) {
    while (!omp_test_lock(&lock))
      ;
    s += x[i] * x[i];
    omp_unset_lock(&lock);
  }
  return s;
}

int main(void) {
  double x[4] = {1, 2, 3, 4}, dx[4] = {0};
  omp_init_lock(&lock);
  __enzyme_autodiff((void *)try_add, enzyme_dup, x, dx, enzyme_const, 4);
  return 0;
}
