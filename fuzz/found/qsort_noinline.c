// CFLAGS: -mllvm -ferment-no-inline
// qsort of active data with every call kept (-ferment-no-inline): ferment.qsort stays a call of its own
// and calls the comparator through a parameter whose targets it cannot see: a clean refusal
// ("cannot differentiate an indirect call ... (while differentiating 'ferment.qsort.sort')") at -O0..-O3
// (corner seeds 27800010, 27800013, 27800015, 27800016, 27800020, 27800024, 27820002, ...).
// Oracle: central differences of outer.
#include "check.h"
#include <stdlib.h>
extern int enzyme_dup, enzyme_const, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
static int cmpd(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a < b) ? -1 : (a > b);
}
static double f(const double *x) {
  double q[4];
  for (int i = 0; i < 4; i++) q[i] = sin(x[i]);
  qsort(q, 4, sizeof(double), &cmpd);
  return q[0] + 2 * q[1] * q[3];
}
static double outer(const double *x) { return 1.5 * f(x); }
int main(void) {
  double x[4] = {0.3, -0.2, 0.9, 0.5}, d[4] = {0}, e = 1e-6;
  __enzyme_autodiff((void *)outer, enzyme_dup, x, d);
  for (int i = 0; i < 4; i++) {
    double xp[4], xm[4];
    memcpy(xp, x, sizeof xp); memcpy(xm, x, sizeof xm);
    xp[i] += e; xm[i] -= e;
    CHECK_CLOSE("grad", d[i], (outer(xp) - outer(xm)) / (2 * e), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
