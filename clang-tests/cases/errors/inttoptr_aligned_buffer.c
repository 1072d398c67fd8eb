// A pointer made from an integer that mixes the addresses of two pointers (a scratch buffer
// moved by x's misalignment): ferment knows no object, so no shadow at a matching offset, for it.
// An active value stored through it is an error naming the inttoptr and the line, with a hint
// (never a derivative lost in untracked memory). One pointer's rounded address works:
// memory/aligned_by_integer.c.
// EXPECT-ERROR: inttoptr_aligned_buffer.c:18
// EXPECT-ERROR: pointer made from an integer
// EXPECT-ERROR: aligned_alloc
#include "check.h"
#include <stdint.h>

double __enzyme_autodiff(void *, ...);

static double f(const double *x, int n) {
  char raw[8 * 8 + 64];
  double *buf = (double *)((uintptr_t)raw + ((uintptr_t)x & 63));
  for (int i = 0; i < n; i++)
    buf[i] = x[i] * x[i];
  double s = 0;
  for (int i = 0; i < n; i++)
    s += buf[i] * x[(i + 1) % n];
  return s;
}

int main(void) {
  double x[4] = {0.1, 0.7, -0.4, 1.3}, dx[4] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, 4);
  return check_report();
}
