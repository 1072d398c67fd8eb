// CFLAGS: -fopenmp
// Partial sums indexed by omp_get_thread_num(): a `parallel` region where each thread strides
// over the samples (i = id, id + nt, ...) and accumulates into partial[id] of a heap array
// sized by omp_get_max_threads(), summed serially after the region (the pattern of codes
// written before reductions were common). The objective is a circular autocorrelation-like
// sum, squared. The per-thread partials change the summation order with the thread count.
#include "omp_prog.h"

double strided_sum(const double *x, int n) {
  int T = omp_get_max_threads();
  double *partial = (double *)calloc((size_t)T, sizeof(double));
#pragma omp parallel
  {
    int id = omp_get_thread_num(), nt = omp_get_num_threads();
    for (int i = id; i < n; i += nt)
      partial[id] += sin(x[i]) * x[(i + 1) % n] + 0.5 * x[i] * x[i];
  }
  double s = 0.0;
  for (int t = 0; t < T; t++)
    s += partial[t];
  free(partial);
  return s * s;
}

DEFINE_PROG_CHECK(strided_sum, n, 0)

int main(void) {
  strided_sum_all(29, 12u);
  strided_sum_all(3, 13u);
  return check_report();
}
