// CFLAGS: -fopenmp
// omp parallel for with the default (static) schedule and explicit static chunks: an
// elementwise map (each iteration owns its element) and a 3-point stencil (neighbouring
// iterations, possibly on other threads, read the same input: the adjoints meet in shared
// shadow memory), with runtime trip counts that do not divide evenly among the threads.
#include "omp_check.h"

void map(const double *x, double *y, int n) {
#pragma omp parallel for
  for (int i = 0; i < n; i++)
    y[i] = sin(x[i]) * x[i] + 0.5 * x[i] * x[i];
}

void stencil(const double *x, double *y, int n) {
#pragma omp parallel for schedule(static)
  for (int i = 1; i < n - 1; i++)
    y[i] = (x[i - 1] - 2.0 * x[i] + x[i + 1]) * (x[i - 1] + x[i + 1]);
}

void stencil_chunked(const double *x, double *y, int n) {
#pragma omp parallel for schedule(static, 3)
  for (int i = 1; i < n - 1; i++)
    y[i] = exp(0.3 * x[i - 1]) * x[i] - cos(x[i + 1]);
}

DEFINE_KERNEL_CHECK(map, n, n)
DEFINE_KERNEL_CHECK(stencil, n, n)
DEFINE_KERNEL_CHECK(stencil_chunked, n, n)

int main(void) {
  static const int ns[] = {1, 2, 7, 33};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    map_check(ns[c], 11u + c);
    stencil_check(ns[c], 23u + c);
    stencil_chunked_check(ns[c], 37u + c);
  }
  return check_report();
}
