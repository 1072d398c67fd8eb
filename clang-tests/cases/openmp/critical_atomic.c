// CFLAGS: -fopenmp
// Shared updates: omp critical with nonlinear updates whose reverses must run in the opposite
// order of the forward (a product; a maximum), named critical sections, and omp atomic
// x += v / x -= v into a shared variable and into a shared histogram. The updates commute, so
// the primal does not depend on the order the threads enter (finite differences stay valid).
#include "omp_check.h"

double crit(const double *x, int n) {
  double s = 1.0;
#pragma omp parallel for
  for (int i = 0; i < n; i++) {
    double v = 1.0 + 0.1 * sin(x[i]);
#pragma omp critical
    s = s * v;
  }
  return s;
}

double named(const double *x, int n) {
  double lo = 0.0, hi = -1e300;
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < n; i++) {
    double v = x[i] * x[i] + 0.01 * i;
    if (x[i] < 0.0) {
#pragma omp critical(low)
      lo += v;
    } else {
#pragma omp critical(high)
      hi = v > hi ? v : hi;
    }
  }
  return lo * (hi > 0.0 ? hi : 1.0) + lo;
}

double atomic_sum(const double *x, int n) {
  double s = 0.0;
#pragma omp parallel for
  for (int i = 0; i < n; i++) {
    double v = x[i] * cos(x[i]);
#pragma omp atomic
    s += v;
#pragma omp atomic
    s -= 0.25 * x[i];
  }
  return s * s;
}

void histogram(const double *x, double *y, int n) {
  for (int b = 0; b < 4; b++)
    y[b] = 0.0;
#pragma omp parallel for
  for (int i = 0; i < n; i++) {
#pragma omp atomic update
    y[i % 4] += x[i] * x[i];
  }
}

DEFINE_SCALAR_CHECK(crit, n)
DEFINE_SCALAR_CHECK(named, n)
DEFINE_SCALAR_CHECK(atomic_sum, n)
DEFINE_KERNEL_CHECK(histogram, n, 4)

int main(void) {
  static const int ns[] = {1, 6, 23};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    crit_check(ns[c], 3u + c);
    named_check(ns[c], 5u + c);
    atomic_sum_check(ns[c], 7u + c);
    histogram_check(ns[c], 9u + c);
  }
  return check_report();
}
