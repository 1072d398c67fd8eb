// Batched forward mode falls back to computing the lanes one after the other where the vector
// generator does not apply yet: here a call that stays a call and returns a pointer to active
// memory (-ferment-no-inline). Width 3; each lane checked against central finite differences
// along its direction and against the scalar forward mode.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"

extern int enzyme_width, enzyme_dupv, enzyme_const;
typedef struct { double d[3]; } R3;
R3 __enzyme_fwddiff_r3(void *, ...);
double __enzyme_fwddiff(void *, ...);

__attribute__((noinline)) static double *pick(double *a, int i) { return a + i; }
static double f(double *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += sin(*pick(x, i)) * x[(i + 1) % n];
  return s;
}

int main(void) {
  double x[4] = {0.3, 0.7, -0.2, 1.1}, d[3][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0.5, 0.5, 0, 1}};
  R3 r = __enzyme_fwddiff_r3((void *)f, enzyme_width, 3, enzyme_dupv, sizeof d[0], x, d[0], enzyme_const, 4);
  for (int k = 0; k < 3; k++) {
    double e = 1e-6, xp[4], xm[4];
    for (int i = 0; i < 4; i++) {
      xp[i] = x[i] + e * d[k][i];
      xm[i] = x[i] - e * d[k][i];
    }
    CHECK_CLOSE("lane vs finite differences", r.d[k], (f(xp, 4) - f(xm, 4)) / (2 * e), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("lane vs scalar forward", r.d[k], __enzyme_fwddiff((void *)f, x, d[k], enzyme_const, 4), RTOL_D,
                ATOL_D);
  }
  return check_report();
}
