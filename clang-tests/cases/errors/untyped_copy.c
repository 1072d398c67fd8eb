// Active doubles moved through `long` words by a helper that also reads the first word as an
// integer: type analysis sees the memory as double (from the caller) and as long (from the
// helper), a contradiction. Differentiating the copy as integers would silently drop the
// gradient, so compilation must stop, name the load, say why, and point at -enzyme-loose-types.
// (memory/loose_types.c is the same program compiled with that flag, checked numerically.)
// EXPECT-ERROR: untyped_copy.c:1
// EXPECT-ERROR: reads memory that may hold floating-point data as an integer
// EXPECT-ERROR: Float@double
// EXPECT-ERROR: -enzyme-loose-types
#include "check.h"

void __enzyme_autodiff(void *, ...);

__attribute__((noinline)) void move_words(void *dst, const void *src, int n) {
  for (int i = 0; i < n; i++)
    ((long *)dst)[i] = ((const long *)src)[i];
  if (((const unsigned long *)src)[0] % 3 == 1) /* integer arithmetic on the first word */
    ((long *)dst)[0] = 0;
}

void f(double *out, const double *in, int n) { move_words(out, in, n); }

int main(void) {
  double x[3] = {1, 2, 3}, dx[3] = {0}, y[3], dy[3] = {1, 10, 100};
  __enzyme_autodiff((void *)f, y, dy, x, dx, 3);
  printf("%g %g %g\n", dx[0], dx[1], dx[2]);
  return 0;
}
