// CFLAGS: -fopenmp
// EXPECT-ERROR: error_task_detach.c:14:
// EXPECT-ERROR: cannot differentiate an OpenMP task that is detachable
#include "check.h"
#include <omp.h>

void __enzyme_autodiff(void *, ...);

void detached(const double *x, double *y, int n) {
#pragma omp parallel
#pragma omp single
  {
    omp_event_handle_t ev;
#pragma omp task detach(ev)
    y[0] = x[0] * x[0];
    omp_fulfill_event(ev);
  }
}

int main(void) {
  double x[4] = {1, 2, 3, 4}, dx[4] = {0}, y[4], dy[4] = {1, 1, 1, 1};
  __enzyme_autodiff((void *)detached, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, 4);
  return 0;
}
