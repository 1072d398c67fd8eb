// CFLAGS: -fopenmp
// omp parallel regions with worksharing loops inside: two omp for loops separated by their
// implicit barrier (the second reads what other threads wrote in the first: the reverse sweep
// needs the barrier at the mirrored place), a nowait loop, an explicit barrier, private and
// firstprivate variables, and scratch indexed by omp_get_thread_num().
#include "omp_check.h"

void two_loops(const double *x, double *y, int n) {
  double *t = (double *)malloc(sizeof(double) * (size_t)n);
#pragma omp parallel
  {
#pragma omp for
    for (int i = 0; i < n; i++)
      t[i] = sin(x[i]) + x[i] * x[i];
#pragma omp for schedule(static, 2)
    for (int i = 0; i < n; i++)
      y[i] = t[i] * t[n - 1 - i] + 0.5 * t[(i + 1) % n];
  }
  free(t);
}

void nowait_barrier(const double *x, double *y, int n) {
  double *t = (double *)malloc(sizeof(double) * (size_t)n);
#pragma omp parallel
  {
#pragma omp for nowait
    for (int i = 0; i < n; i++)
      t[i] = exp(0.2 * x[i]);
#pragma omp barrier
#pragma omp for nowait
    for (int i = 0; i < n; i++)
      y[i] = t[(i + 2) % n] * x[i];
  }
  free(t);
}

void priv(const double *x, double *y, int n) {
  double tmp;
  int k = 3;
#pragma omp parallel for private(tmp) firstprivate(k)
  for (int i = 0; i < n; i++) {
    tmp = x[i] * (double)k;
    y[i] = tmp * tmp + x[(i + k) % n];
  }
}

// Each thread sums its own iterations into scratch[thread]; the sum is combined serially.
void scratch(const double *x, double *y, int n) {
  int nt = omp_get_max_threads();
  double *part = (double *)calloc((size_t)nt, sizeof(double));
#pragma omp parallel
  {
    int me = omp_get_thread_num();
#pragma omp for
    for (int i = 0; i < n; i++)
      part[me] += x[i] * x[i] * x[i];
  }
  double s = 0.0;
  for (int k = 0; k < nt; k++)
    s += part[k];
  for (int i = 0; i < n; i++)
    y[i] = s * x[i];
  free(part);
}

DEFINE_KERNEL_CHECK(two_loops, n, n)
DEFINE_KERNEL_CHECK(nowait_barrier, n, n)
DEFINE_KERNEL_CHECK(priv, n, n)
DEFINE_KERNEL_CHECK(scratch, n, n)

int main(void) {
  static const int ns[] = {1, 5, 26};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    two_loops_check(ns[c], 3u + c);
    nowait_barrier_check(ns[c], 5u + c);
    priv_check(ns[c], 7u + c);
    scratch_check(ns[c], 9u + c);
  }
  return check_report();
}
