// A pointer made from an address changed with a run-time key ((uintptr_t)p ^ key, as XOR-linked
// lists do): the integer may reach another object, so ferment does not move the shadow by the same
// bytes as it does for rounding with constants (memory/aligned_by_integer.c); an active value
// stored through it is an error at its line.
// EXPECT-ERROR: inttoptr_xor.c:17
// EXPECT-ERROR: pointer made from an integer
#include "check.h"
#include <stdint.h>

double __enzyme_autodiff(void *, ...);

static volatile uintptr_t key = 8;

static double f(const double *x) {
  double buf[2];
  double *other = (double *)((uintptr_t)buf ^ key);
  *other = x[0] * x[1];
  return buf[0] + buf[1];
}

int main(void) {
  double x[2] = {0.5, 1.5}, dx[2] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx);
  return check_report();
}
