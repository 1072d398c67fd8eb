// An inner loop's stores overwrite exactly the elements the previous outer iteration read
// (read a[o+len+2 ..], write a[o ..], the next o is o+len+2), with each outer offset loaded from
// memory, so the stored addresses are not an affine function of the outer loop that analysis
// can see. The values read must be kept for the reverse sweep, not read again after they are
// overwritten. Oracle: central finite differences of the whole array.
#include "check.h"
double __enzyme_autodiff(void *, ...);

__attribute__((noinline)) double sweep(double *a, const long *start, long rows, long len) {
  double acc = 0;
  if (rows <= 0 || len <= 0)
    return 0;
  for (long r = 0; r < rows; r++) {
    long o = start[r];
    for (long k = 0; k < len; k++) {
      double v = a[o + len + 2 + k];
      acc += v * v * v;
      a[o + k] = -1.25 + 0.5 * v;
    }
  }
  return acc;
}

enum { ROWS = 4, LEN = 3, SZ = 26 };
static long starts[ROWS];
static double objective(const double *x) {
  double a[SZ];
  for (int i = 0; i < SZ; i++) a[i] = x[i];
  return sweep(a, starts, ROWS, LEN);
}

int main(void) {
  for (int r = 0; r < ROWS; r++) starts[r] = (long)r * (LEN + 2);
  double x[SZ], a[SZ], da[SZ];
  for (int i = 0; i < SZ; i++) { x[i] = 0.3 + 0.11 * i; a[i] = x[i]; da[i] = 0; }
  __enzyme_autodiff((void *)sweep, a, da, enzyme_const, starts, (long)ROWS, (long)LEN);
  for (int i = 0; i < SZ; i++) {
    double h = 1e-6, xp[SZ], xm[SZ];
    for (int j = 0; j < SZ; j++) { xp[j] = x[j]; xm[j] = x[j]; }
    xp[i] += h; xm[i] -= h;
    double want = (objective(xp) - objective(xm)) / (2 * h);
    CHECK_CLOSE_AT("d/da", (double)i, da[i], want, RTOL_FD, 1e-7);
  }
  return check_report();
}
