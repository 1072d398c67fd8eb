// An allocation-like declaration whose deallocation function takes more than the pointer is
// an error naming the annotation, not an allocator used the wrong way.
// EXPECT-ERROR: __enzyme_allocation_like_pool
// EXPECT-ERROR: deallocation function taking only the allocated pointer
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
__attribute__((noinline)) void *pool_alloc(size_t n) { return malloc(n); }
__attribute__((noinline)) void pool_free(void *p, size_t n) { (void)n; free(p); }
void *__enzyme_allocation_like_pool[4] = {(void *)pool_alloc, (void *)0, (void *)"-1,0", (void *)pool_free};
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
