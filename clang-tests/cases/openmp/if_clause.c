// CFLAGS: -fopenmp
// Parallel regions with an if() clause: clang forks when the condition holds and otherwise
// calls the region on the encountering thread (serialized); both paths are differentiated, the
// serialized one as a team of one thread. Sizes on both sides of each threshold; oracles:
// central finite differences and forward mode, 1, 2 and 4 threads (omp_check.h).
#include "omp_check.h"

void maybe_parallel(const double *x, double *y, int n) {
#pragma omp parallel for if (n > 10)
  for (int i = 0; i < n; i++)
    y[i] = x[i] * x[i] + tanh(x[(i + 1) % n]);
}

// A region with a reduction and a worksharing loop, serialized for small n.
double maybe_sum(const double *x, int n) {
  double s = 0.0;
#pragma omp parallel if (n >= 5) reduction(+ : s)
  {
#pragma omp for
    for (int i = 0; i < n; i++)
      s += exp(0.2 * x[i]) * x[i];
  }
  return s * s;
}

DEFINE_KERNEL_CHECK(maybe_parallel, n, n)
DEFINE_SCALAR_CHECK(maybe_sum, n)

int main(void) {
  static const int ns[] = {1, 4, 5, 11, 19};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    maybe_parallel_check(ns[c], 3u + c);
    maybe_sum_check(ns[c], 5u + c);
  }
  return check_report();
}
