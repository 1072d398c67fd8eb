// CFLAGS: -fopenmp
// EXPECT-ERROR: error_threadprivate.c:19:
// EXPECT-ERROR: cannot differentiate the threadprivate (thread-local) variable 'acc' inside an OpenMP parallel region
// A threadprivate accumulator: its shadow would be thread-local too, and only the calling
// thread's copy is cleared when a derivative starts (the other threads would carry the previous
// call's adjoints into the next call: a wrong gradient from the second call on), so it is
// refused.
#include "check.h"
#include <math.h>

void __enzyme_autodiff(void *, ...);
static double acc;
#pragma omp threadprivate(acc)

double per_thread(const double *x, int n) {
  double s = 0.0;
#pragma omp parallel reduction(+ : s)
  {
    acc = 0.0;
#pragma omp for schedule(static)
    for (int i = 0; i < n; i++)
      acc += x[i] * x[i] * x[i];
    s += sin(acc);
  }
  return s;
}

int main(void) {
  double x[4] = {1, 2, 3, 4}, dx[4] = {0};
  __enzyme_autodiff((void *)per_thread, enzyme_dup, x, dx, enzyme_const, 4);
  return 0;
}
