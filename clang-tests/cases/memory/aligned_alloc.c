// Scratch buffers from posix_memalign and aligned_alloc inside the differentiated function
// (issue 5): filled with active values, reduced, freed. The shadow buffers must be allocated
// (zeroed, with the same alignment), used and freed. Checked against the analytic gradient and
// central finite differences, reverse and forward mode; valgrind-clean.
#include "check.h"
#include <math.h>
#include <stdlib.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

__attribute__((noinline)) double f(const double *x, long n) {
  double *a = NULL;
  if (posix_memalign((void **)&a, 64, sizeof(double) * (size_t)n) != 0)
    return 0;
  double *b = aligned_alloc(32, sizeof(double) * (size_t)((n + 3) / 4 * 4));
  for (long i = 0; i < n; i++) {
    a[i] = sin(x[i]) * x[i];
    b[i] = a[i] * a[i];
  }
  double s = 0;
  for (long i = 0; i < n; i++)
    s += b[i] + a[i] * 0.5;
  free(a);
  free(b);
  return s;
}

#define N 7
static double f_pure(const double *x, const void *c) { (void)c; return f(x, N); }

int main(void) {
  double x[N], dx[N] = {0}, t[N];
  unsigned s = 3;
  for (int i = 0; i < N; i++) {
    x[i] = 1.3 * prand(&s);
    t[i] = prand(&s);
  }
  __enzyme_autodiff((void *)f, x, dx, (long)N);
  double dot = 0;
  for (int i = 0; i < N; i++) {
    double a = sin(x[i]) * x[i], da = cos(x[i]) * x[i] + sin(x[i]);
    double want = (2 * a + 0.5) * da;
    CHECK_CLOSE_AT("reverse df/dx", (double)i, dx[i], want, RTOL_D, 1e-12);
    CHECK_CLOSE_AT("reverse vs FD", (double)i, dx[i], fdvc(f_pure, NULL, x, N, i), RTOL_FD, ATOL_FD);
    dot += dx[i] * t[i];
  }
  double fwd = __enzyme_fwddiff((void *)f, x, t, (long)N);
  CHECK_CLOSE("forward = <reverse, t>", fwd, dot, 1e-10, 1e-12);
  return check_report();
}
