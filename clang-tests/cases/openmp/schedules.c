// CFLAGS: -fopenmp
// Worksharing schedules: dynamic and guided (__kmpc_dispatch_next hands chunks out at run
// time: the reverse sweep replays each thread's own chunks from its tape), runtime, and
// collapse(2) over a 2-D grid.
#include "omp_check.h"

void dyn(const double *x, double *y, int n) {
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < n; i++)
    y[i] = x[i] * x[(i + 3) % n] + tanh(x[i]);
}

void guided(const double *x, double *y, int n) {
#pragma omp parallel for schedule(guided, 2)
  for (int i = 1; i < n; i++)
    y[i] = x[i] * x[i - 1] * (double)i;
}

void runtime_sched(const double *x, double *y, int n) {
#pragma omp parallel for schedule(runtime)
  for (long i = 0; i < n; i++)
    y[i] = sqrt(1.0 + x[i] * x[i]) * x[n - 1 - i];
}

// y (n x n) from x (n x n): a 5-point stencil, both loops shared by collapse(2)
void grid(const double *x, double *y, int n) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int i = 1; i < n - 1; i++)
    for (int j = 1; j < n - 1; j++) {
      double c = x[i * n + j];
      y[i * n + j] = c * c - 0.25 * (x[(i - 1) * n + j] + x[(i + 1) * n + j] +
                                     x[i * n + j - 1] + x[i * n + j + 1]) * c;
    }
}

DEFINE_KERNEL_CHECK(dyn, n, n)
DEFINE_KERNEL_CHECK(guided, n, n)
DEFINE_KERNEL_CHECK(runtime_sched, n, n)
DEFINE_KERNEL_CHECK(grid, n *n, n *n)

int main(void) {
  static const int ns[] = {1, 4, 29};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    dyn_check(ns[c], 3u + c);
    guided_check(ns[c], 7u + c);
    runtime_sched_check(ns[c], 11u + c);
  }
  grid_check(3, 5u);
  grid_check(9, 6u);
  return check_report();
}
