// Split mode of a function returning a struct through a hidden sret pointer takes the result's
// adjoint buffer right after the function, in __enzyme_augmentfwd as in __enzyme_reverse (Enzyme's
// convention): a call without it is an error naming the function, the struct and what to pass.
// CFLAGS: -g
// EXPECT-ERROR: split mode of 'vf', which returns
// EXPECT-ERROR: through a hidden result pointer (sret), needs the result's adjoint buffer first
// EXPECT-ERROR: sret_split_no_seed.c:17
// EXPECT-ERROR: __enzyme_augmentfwd((void*)f, &d_result, args...)
#include "check.h"
void *__enzyme_augmentfwd(void *, ...);
typedef struct { double x, y, z; } V;
static V vf(double a, double b) {
  V v = {a * b, sin(a), b * b};
  return v;
}
int main(void) {
  void *t = __enzyme_augmentfwd((void *)vf, enzyme_out, 0.7, enzyme_out, 1.5);
  printf("%p\n", t);
  return 0;
}
