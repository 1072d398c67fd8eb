// CFLAGS: -fopenmp
// Private address ranges in the team copy of a region's reverse (plugin/src/openmp_team.rs,
// `claim_private_ranges`): each thread publishes the address range every adjoint add of the
// region covers, and adds plainly, without atomics or buffers, where no other thread's range
// reaches; elsewhere atomically (or through its buffer when its private part is small).
// Shapes that make the ranges meet: a three-point stencil (neighbouring threads' ranges overlap
// by two elements), a second pointer into the same array one element on (`z = x + 1`, the
// ranges of its adds overlap the other pointer's), an element read once per thread before a
// `nowait` loop (an add outside the loop, inside another thread's loop range), and more threads
// than iterations (threads without iterations publish nothing and meet the others' barrier at
// the return). A reversed index (`x[n-1-i]` with an int `i`) and a chunked static schedule (the
// adds' loop inside the chunk loop) do not get ranges yet (their adds keep the buffers); they
// are checked so that widening the ranges is covered. Checked with 1, 2 and 4 threads against
// finite differences and forward mode (omp_check.h).
#include "omp_check.h"

void stencil(const double *x, double *y, int n) {
#pragma omp parallel for schedule(static)
  for (int i = 1; i < n - 1; i++)
    y[i] = x[i] + 0.25 * (x[i - 1] - 2.0 * x[i] + x[i + 1]) - 0.01 * x[i] * x[i] * x[i];
}

void shifted(const double *x, double *y, int n) {
  const double *z = n > (1 << 30) ? y : x + 1;
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n - 1; i++)
    y[i] = x[i] * z[i] + 0.5 * z[i] * z[i];
}

void read_once(const double *x, double *y, int n) {
#pragma omp parallel
  {
    double k = x[n / 2];
#pragma omp for schedule(static) nowait
    for (int i = 0; i < n - 1; i++)
      y[i] = k * x[i] * x[i + 1];
  }
}

void reversed(const double *x, double *y, int n) {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; i++)
    y[i] = x[i] * x[n - 1 - i] + x[i];
}

void chunked(const double *x, double *y, int n) {
#pragma omp parallel for schedule(static, 5)
  for (int i = 1; i < n - 1; i++)
    y[i] = x[i - 1] * x[i + 1] + x[i] * x[i];
}

DEFINE_KERNEL_CHECK(stencil, n, n)
DEFINE_KERNEL_CHECK(shifted, n, n)
DEFINE_KERNEL_CHECK(read_once, n, n)
DEFINE_KERNEL_CHECK(reversed, n, n)
DEFINE_KERNEL_CHECK(chunked, n, n)

int main(void) {
  static const int ns[] = {3, 4, 9, 64, 300};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    stencil_check(ns[c], 3u + c);
    shifted_check(ns[c], 11u + c);
    read_once_check(ns[c], 23u + c);
    reversed_check(ns[c], 31u + c);
    chunked_check(ns[c], 41u + c);
  }
  return check_report();
}
