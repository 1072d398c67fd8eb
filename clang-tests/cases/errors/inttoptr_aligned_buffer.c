// A scratch buffer aligned by rounding its address as an integer ((uintptr_t)raw + 63) & ~63:
// the pointer is made from an integer, so ferment knows no object (and no shadow at a matching
// offset) for it. An active value stored through it is an error naming the inttoptr and the
// line, with a hint to align the buffer another way (never a derivative lost in untracked memory).
// EXPECT-ERROR: inttoptr_aligned_buffer.c:17
// EXPECT-ERROR: pointer made from an integer
// EXPECT-ERROR: aligned_alloc
#include "check.h"
#include <stdint.h>

double __enzyme_autodiff(void *, ...);

static double f(const double *x, int n) {
  char raw[8 * 8 + 64];
  double *buf = (double *)(((uintptr_t)raw + 63) & ~(uintptr_t)63);
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
