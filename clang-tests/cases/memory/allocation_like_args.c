// __enzyme_allocation_like with a deallocation function that takes more than the pointer:
// Enzyme's argument list names each of its arguments ("-1" the freed pointer, "k" argument k
// of the allocation call). Two pools: pool_free(p, n) ("-1,0") and a release that takes the
// pool first (pool2_free(pool, p): "1,-1"). Shadows come from the same pools and go back to
// them with the same arguments (every allocation released once, sizes matching);
// gradients checked against finite differences and forward mode.
#include "check.h"
#include <stdlib.h>
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;

static int live, bad_sizes;
__attribute__((noinline)) void *pool_alloc(size_t n) {
  size_t *h = (size_t *)malloc(n + sizeof(size_t));
  *h = n;
  live++;
  return h + 1;
}
__attribute__((noinline)) void pool_free(void *p, size_t n) {
  size_t *h = (size_t *)p - 1;
  bad_sizes += *h != n;
  live--;
  free(h);
}
void *__enzyme_allocation_like_pool[4] = {(void *)pool_alloc, (void *)0, (void *)"-1,0",
                                          (void *)pool_free};

struct pool {
  int live;
};
__attribute__((noinline)) void *pool2_alloc(size_t n, struct pool *pl) {
  pl->live++;
  return calloc(1, n);
}
__attribute__((noinline)) void pool2_free(struct pool *pl, void *p) {
  pl->live--;
  free(p);
}
void *__enzyme_allocation_like_pool2[4] = {(void *)pool2_alloc, (void *)0, (void *)"1,-1",
                                           (void *)pool2_free};
static struct pool the_pool;

static double f(const double *x, int n) {
  double *t = (double *)pool_alloc(n * sizeof(double));
  double *u = (double *)pool2_alloc(n * sizeof(double), &the_pool);
  for (int i = 0; i < n; i++) {
    t[i] = sin(x[i]) * x[(i + 1) % n];
    u[i] = t[i] * t[i] + x[i];
  }
  double s = 0;
  for (int i = 0; i < n; i++) s += u[i] * t[(i + 2) % n];
  pool2_free(&the_pool, u);
  pool_free(t, n * sizeof(double));
  return s;
}
static double f_ctx(const double *x, const void *ctx) { return f(x, *(const int *)ctx); }

int main(void) {
  enum { N = 5 };
  int n = N;
  double x[N] = {0.3, -1.1, 0.7, 2.0, -0.4}, dx[N] = {0}, v[N] = {1, -2, 0.5, 0.25, 3};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, n);
  CHECK_GRAD_FD("gradient through two user pools", f_ctx, &n, x, N, dx, RTOL_FD, ATOL_FD);
  double t = __enzyme_fwddiff((void *)f, enzyme_dup, x, v, enzyme_const, n);
  CHECK_CLOSE("forward vs reverse through two user pools", t, dotv(dx, v, N), RTOL_D, ATOL_D);
  CHECK_TRUE("every pool allocation released", live == 0);
  CHECK_TRUE("every pool2 allocation released", the_pool.live == 0);
  CHECK_TRUE("released with the allocation's own size", bad_sizes == 0);
  return check_report();
}
