// Regression (fuzzer, seed 69 of the widened generator): batched forward mode (enzyme_width 2)
// of a function with a local 2-D array. clang gives the array `align 16` and its loads keep that
// alignment; the shadow arrays ferment allocated had only the element type's alignment (8), so
// at -O2 a shadow load vectorized across the two lanes became an aligned 16-byte load of an
// address that was only 8-aligned: a general-protection fault at run time (whether the address
// is misaligned depends on the frame layout; this function is the fuzzer's, which faulted).
// Oracles: central finite differences, forward vs reverse, batched lanes vs scaled forward.
#include "check.h"
#include <stdlib.h>

#define N 7
static const double tbl[8] = {0.5, -0.25, 1.5, 0.75, -1.0, 0.125, 2.0, -0.5};
static double gscratch;
typedef struct {
  double d[2];
} Grad, Lanes2;
Grad __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
Lanes2 __enzyme_fwddiff_lanes(void *, ...);
extern int enzyme_width, enzyme_const;

double f(int n, double s0, int k, double s1, const double *p0) {
  double t0 = s1;
  double t1 = s0;
  double t2 = s0;
  double g2[N][N];
  for (int q = 0; q < N; q++)
    for (int r = 0; r < N; r++)
      g2[q][r] = s1 * (0.1 * q - 0.2 * r) + 0.05 * r;
  double *m0 = (double *)malloc(N * sizeof(double));
  for (int q = 0; q < N; q++)
    m0[q] = 0.5 * p0[q];
  for (int i0 = 0; i0 < n; i0++) {
    gscratch = erf((((m0[(i0 + i0) % N]) > (tbl[N - 1 - i0])) ? (0.25 * i0 + 0.125) : t0));
    t1 += 0.5 * gscratch;
  }
  double r = t0 + t1 + t2 + m0[0] + m0[N - 1] + g2[N - 1][0] + g2[1][N - 1] + t2;
  free(m0);
  (void)k;
  return r;
}

static const double p0[N] = {0.679, 0.725, 0.922, 0.056, 0.624, -0.915, -0.891};

int main(void) {
  const double X[2] = {-0.295, -0.683}, V[2] = {0.6, -0.3};
  double h = 1e-6;
  double fd = (f(5, X[0] + h * V[0], 2, X[1] + h * V[1], p0) -
               f(5, X[0] - h * V[0], 2, X[1] - h * V[1], p0)) /
              (2 * h);
  double jv = __enzyme_fwddiff((void *)f, 5, X[0], V[0], 2, X[1], V[1], enzyme_const, p0);
  CHECK_CLOSE("forward J v vs finite differences", jv, fd, RTOL_FD, ATOL_FD);
  Grad g = __enzyme_autodiff((void *)f, 5, X[0], 2, X[1], enzyme_const, p0);
  CHECK_CLOSE("reverse <v, grad> vs forward", V[0] * g.d[0] + V[1] * g.d[1], jv, RTOL_D, ATOL_D);
  Lanes2 l = __enzyme_fwddiff_lanes((void *)f, enzyme_width, 2, 5, X[0], V[0], -0.5 * V[0], 2,
                                    X[1], V[1], -0.5 * V[1], enzyme_const, p0);
  CHECK_CLOSE("batched lane 0", l.d[0], jv, RTOL_D, ATOL_D);
  CHECK_CLOSE("batched lane 1", l.d[1], -0.5 * jv, RTOL_D, ATOL_D);
  return check_report();
}
