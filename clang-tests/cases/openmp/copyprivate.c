// CFLAGS: -fopenmp
// single copyprivate: one thread computes values inside omp single and broadcasts them to the
// other threads' private copies; every thread then uses its copy in a shared loop. The adjoints
// of all copies flow back into the value the single thread computed. Two variables at once, and
// two broadcasts in one region (a copyprivate array is copied with memcpy: a compile error).
#include "omp_check.h"

void broadcast(const double *x, double *y, int n) {
#pragma omp parallel
  {
    double v, w;
#pragma omp single copyprivate(v, w)
    {
      v = sin(x[0]) * x[n - 1];
      w = exp(0.1 * x[n / 2]);
    }
#pragma omp for
    for (int i = 0; i < n; i++)
      y[i] = v * x[i] + w * x[i] * x[i];
  }
}

double twice(const double *x, int n) {
  double total = 0.0;
#pragma omp parallel reduction(+ : total)
  {
    double m0, m1;
#pragma omp single copyprivate(m0, m1)
    {
      m0 = x[0] * x[0];
      m1 = cos(x[n - 1]);
    }
    double mine = 0.0;
#pragma omp for
    for (int i = 0; i < n; i++)
      mine += m0 * x[i] + m1;
    double scale;
#pragma omp single copyprivate(scale)
    scale = 1.0 + 0.5 * x[n / 2] * m1;
    total += mine * scale;
  }
  return total;
}

DEFINE_KERNEL_CHECK(broadcast, n, n)
DEFINE_SCALAR_CHECK(twice, n)

int main(void) {
  static const int ns[] = {1, 6, 23};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    broadcast_check(ns[c], 3u + c);
    twice_check(ns[c], 5u + c);
  }
  return check_report();
}
