// __enzyme_allocation_like: a user allocator (an arena) and its release function; shadows come
// from the same allocator and are released by the same function, in both modes (every
// allocation is released); gradients checked against finite differences and forward mode.
#include "check.h"
#include <stdlib.h>
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;
// A user allocator: a bump arena with a header word, and its release function. Neither is
// malloc, so the plugin must be told how they behave.
static char arena[1 << 20];
static size_t top;
static int live;
__attribute__((noinline)) void *arena_alloc(size_t n) {
  size_t *h = (size_t *)(arena + top);
  *h = n;
  top += sizeof(size_t) + ((n + 15) & ~(size_t)15);
  live++;
  return h + 1;
}
static size_t released;
__attribute__((noinline)) void arena_free(void *p) { released += ((size_t *)p)[-1]; live--; }
void *__enzyme_allocation_like[4] = {(void *)arena_alloc, (void *)0, (void *)"-1", (void *)arena_free};

static double f(const double *x, int n) {
  double *t = (double *)arena_alloc(n * sizeof(double));
  for (int i = 0; i < n; i++) t[i] = sin(x[i]) * x[(i + 1) % n];
  double s = 0;
  for (int i = 0; i < n; i++) s += t[i] * t[i];
  arena_free(t);
  return s;
}
static double fd_f(double *x, int n, int k) {
  double h = 1e-6, xk = x[k];
  x[k] = xk + h; double a = f(x, n);
  x[k] = xk - h; double b = f(x, n);
  x[k] = xk;
  return (a - b) / (2 * h);
}
int main(void) {
  enum { N = 7 };
  double x[N], dx[N];
  for (int i = 0; i < N; i++) { x[i] = 0.3 + 0.2 * i; dx[i] = 0; }
  int live0 = live;
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, N);
  CHECK_CLOSE("every arena allocation released (primal and shadow)", (double)(live - live0), 0.0, 0, 0);
  for (int k = 0; k < N; k++) CHECK_CLOSE("reverse vs fd", dx[k], fd_f(x, N, k), RTOL_FD, ATOL_FD);
  for (int k = 0; k < N; k++) {
    double v[N] = {0};
    v[k] = 1;
    CHECK_CLOSE("forward vs reverse", __enzyme_fwddiff((void *)f, enzyme_dup, x, v, enzyme_const, N), dx[k], RTOL_D, ATOL_D);
  }
  CHECK_CLOSE("forward releases too", (double)(live - live0), 0.0, 0, 0);
  return check_report();
}
