// CFLAGS: -fopenmp
// omp single, omp master and omp masked inside a parallel region: one thread runs the block
// (writing shared data the other threads read after the barrier); the reverse sweep replays
// that thread's branch from its tape. Oracles: central finite differences and forward mode,
// 1, 2 and 4 threads (omp_check.h).
#include "omp_check.h"

// y_i = x_i * c where c = sum x_j^2 is computed by one thread (single).
void single_scale(const double *x, double *y, int n) {
  double c = 0.0;
#pragma omp parallel shared(c)
  {
#pragma omp single
    {
      for (int j = 0; j < n; j++)
        c += x[j] * x[j];
    }
#pragma omp for
    for (int i = 0; i < n; i++)
      y[i] = x[i] * c + sin(x[i]);
  }
}

// The master thread writes a scratch array, the team uses it after an explicit barrier.
void master_scratch(const double *x, double *y, int n) {
  double *t = (double *)malloc((size_t)n * sizeof(double));
#pragma omp parallel
  {
#pragma omp master
    {
      for (int j = 0; j < n; j++)
        t[j] = exp(0.3 * x[j]);
    }
#pragma omp barrier
#pragma omp for
    for (int i = 0; i < n; i++)
      y[i] = t[i] * t[(i + 1) % n] + x[i];
  }
  free(t);
}

// omp masked filter(0) and single nowait followed by barriers.
void masked_two(const double *x, double *y, int n) {
  double s = 0.0, p = 1.0;
#pragma omp parallel shared(s, p)
  {
#pragma omp masked
    s = cos(x[0]) + x[n - 1];
#pragma omp single nowait
    {
      for (int j = 0; j < n; j++)
        p *= 1.0 + 0.1 * x[j];
    }
#pragma omp barrier
#pragma omp for
    for (int i = 0; i < n; i++)
      y[i] = s * x[i] + p;
  }
}

DEFINE_KERNEL_CHECK(single_scale, n, n)
DEFINE_KERNEL_CHECK(master_scratch, n, n)
DEFINE_KERNEL_CHECK(masked_two, n, n)

int main(void) {
  static const int ns[] = {1, 4, 19};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    single_scale_check(ns[c], 3u + c);
    master_scratch_check(ns[c], 5u + c);
    masked_two_check(ns[c], 7u + c);
  }
  return check_report();
}
