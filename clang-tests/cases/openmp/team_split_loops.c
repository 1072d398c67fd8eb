// CFLAGS: -fopenmp
// Split loops in the team copy of a region's reverse (plugin/src/openmp_team.rs, the shim's
// `ferment_split_private_loops`): a loop whose adjoint adds all have private address ranges runs
// the block of iterations where every add is private in a copy without the range tests and
// without the buffer checks of its plain shadow accesses, the iterations before and after it in
// copies that keep them. Shapes: a five-point stencil with a long index (ranges meet over four
// elements), a stride of two elements, and a loop counting down in the primal (the reverse's
// addresses then increase): all three split; and a region with two loops whose first one adds
// to x[0] in every thread (a range no thread owns: through a buffer, the loop keeps its tests)
// while the plain accesses of both are checked against that buffer. Sizes from empty blocks
// (n = 3, 4 threads) to long ones. Checked with 1, 2 and 4 threads against finite differences
// and forward mode (omp_check.h).
#include "omp_check.h"

void wide_stencil(const double *x, double *y, int n) {
  long m = n;
#pragma omp parallel for schedule(static)
  for (long i = 2; i < m - 2; i++)
    y[i] = x[i - 2] * x[i + 2] + 0.5 * x[i - 1] - x[i] * x[i] * x[i + 1];
}

void strided(const double *x, double *y, int n) {
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; i++)
    y[i] = x[2 * i] * x[2 * i + 1] + 0.25 * x[2 * i + 2] * x[2 * i + 2];
}

void backward(const double *x, double *y, int n) {
#pragma omp parallel for schedule(static)
  for (long i = n - 2; i >= 1; i--)
    y[i] = x[i + 1] * x[i - 1] - 0.5 * x[i] * x[i];
}

void two_loops(const double *x, double *y, int n) {
#pragma omp parallel
  {
#pragma omp for schedule(static) nowait
    for (int i = 0; i < n; i++)
      y[i] = x[i] * x[i] + 0.5 * x[0];
#pragma omp for schedule(static) nowait
    for (int i = 0; i < n; i++)
      y[i] = y[i] * x[i] + (i + 1 < n ? 0.0 : 1.0);
  }
}

DEFINE_KERNEL_CHECK(wide_stencil, n, n)
DEFINE_KERNEL_CHECK(strided, 2 * n + 1, n)
DEFINE_KERNEL_CHECK(backward, n, n)
DEFINE_KERNEL_CHECK(two_loops, n, n)

int main(void) {
  static const int ns[] = {3, 4, 5, 9, 64, 301};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    wide_stencil_check(ns[c], 5u + c);
    strided_check(ns[c], 13u + c);
    backward_check(ns[c], 29u + c);
    two_loops_check(ns[c], 43u + c);
  }
  return check_report();
}
