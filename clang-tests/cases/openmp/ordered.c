// CFLAGS: -fopenmp
// omp ordered: blocks of a parallel loop that run in iteration order. Their updates depend on
// that order (a recurrence through a shared variable), so the reverse sweep must undo them in the
// opposite order; the rest of each iteration runs in parallel. Static, dynamic and chunked
// schedules; a recurrence written to an output array (a prefix scan).
#include "omp_check.h"

double decayed_sum(const double *x, int n) {
  double s = 0.0;
#pragma omp parallel for ordered schedule(dynamic)
  for (int i = 0; i < n; i++) {
    double v = x[i] * x[i] + sin(x[i]);
#pragma omp ordered
    s = s * 0.75 + v;
  }
  return s;
}

// y[i] = c * y[i-1] + x[i]^2 / (1 + y[i-1]^2): a nonlinear scan, each step in order
void scan(const double *x, double *y, int n) {
  double acc = 0.5;
#pragma omp parallel for ordered schedule(static, 2)
  for (int i = 0; i < n; i++) {
    double w = x[i] * x[i];
#pragma omp ordered
    {
      acc = 0.9 * acc + w / (1.0 + acc * acc);
      y[i] = acc;
    }
  }
}

double ordered_in_region(const double *x, int n) {
  double p = 1.0, total = 0.0;
#pragma omp parallel reduction(+ : total)
  {
#pragma omp for ordered schedule(guided)
    for (int i = 0; i < n; i++) {
      double v = exp(0.1 * x[i]);
      total += v;
#pragma omp ordered
      p = p * v + 0.01;
    }
  }
  return p + total;
}

DEFINE_SCALAR_CHECK(decayed_sum, n)
DEFINE_KERNEL_CHECK(scan, n, n)
DEFINE_SCALAR_CHECK(ordered_in_region, n)

int main(void) {
  static const int ns[] = {1, 5, 24};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    decayed_sum_check(ns[c], 3u + c);
    scan_check(ns[c], 5u + c);
    ordered_in_region_check(ns[c], 7u + c);
  }
  return check_report();
}
