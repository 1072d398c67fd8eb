// CFLAGS: -fopenmp
// Two pointers into one array, both read in a parallel loop: `x` and `z = x + n/2`, where `z`
// may also be `y` as far as the compiler knows (a branch never taken at run time), so the
// reverse sweep of a team of several threads keeps the adjoints added through `x` and through
// `z` in separate per-thread buffers that mirror overlapping memory. At the region's end the
// team merges each group of buffers in slices that follow that group's own address range:
// two groups merged at once would have two threads add into the same elements. Sizes large
// enough that the ranges (all of x; its second half) give different slices, with 1, 2 and 4
// threads; finite differences and forward mode through omp_check.h. No calls in the loops (a
// call there keeps the atomic reverse).
#include "omp_check.h"

void halves(const double *x, double *y, int n) {
  const double *z = n > (1 << 30) ? y : x + n / 2;
  int h = n - n / 2;
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; i++)
    y[i] = x[i] * x[i] + z[i % h] * z[i % h] * x[(i + 1) % n] + 0.5 * z[(3 * i) % h];
}

void halves_dynamic(const double *x, double *y, int n) {
  const double *z = n > (1 << 30) ? y : x + n / 2;
  int h = n - n / 2;
#pragma omp parallel for schedule(dynamic, 7)
  for (int i = 0; i < n; i++)
    y[i] = (1.0 + x[i] * x[i]) * z[(i * 5) % h] + x[(i + 2) % n] * z[i % h];
}

DEFINE_KERNEL_CHECK(halves, n, n)
DEFINE_KERNEL_CHECK(halves_dynamic, n, n)

int main(void) {
  static const int ns[] = {2, 7, 33, 200};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    halves_check(ns[c], 5u + c);
    halves_dynamic_check(ns[c], 17u + c);
  }
  return check_report();
}
