// CFLAGS: -fopenmp -fnoopenmp-use-tls
// EXPECT-ERROR: error_threadprivate_cached.c:18:
// EXPECT-ERROR: cannot differentiate threadprivate variables (OpenMP runtime call '__kmpc_threadprivate_cached')
// threadprivate without thread-local storage (-fnoopenmp-use-tls): the runtime hands each
// thread its copy (__kmpc_threadprivate_cached), which has no shadow; refused (the default,
// thread-local storage, is supported: openmp/threadprivate.c).
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
