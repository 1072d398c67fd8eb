// An allocation-like declaration whose deallocation argument list does not fit the
// deallocation function (an index past the allocator's arguments) is an error naming the
// annotation and the list, not an allocator used the wrong way.
// EXPECT-ERROR: __enzyme_allocation_like_pool
// EXPECT-ERROR: deallocation argument list "-1,3"
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
__attribute__((noinline)) void *pool_alloc(size_t n) { return malloc(n); }
__attribute__((noinline)) void pool_free(void *p, size_t n) { (void)n; free(p); }
void *__enzyme_allocation_like_pool[4] = {(void *)pool_alloc, (void *)0, (void *)"-1,3", (void *)pool_free};
static double f(double x) {
  double *t = pool_alloc(sizeof(double));
  *t = x * x;
  double r = *t;
  pool_free(t, sizeof(double));
  return r;
}
int main(void) {
  printf("%f\n", __enzyme_autodiff((void *)f, 1.5));
  return 0;
}
