// Forward mode over reverse mode at -O0 of a kernel that sets a global pointer to an active
// array and then to a constant table (hvp,user seed 25630031's shape). The gradient keeps the
// pointer's shadow in the global's adjoint global (`gptr.ferment.shadow`: the active array's
// shadow, then the table standing for its own); forward mode over the gradient refuses "an
// active value is stored into memory whose address is read from the global variable
// @gptr.ferment.shadow, which has no derivative memory (shadow)". -O1..-O3 pass (the global's
// loads fold).
// Oracle: central differences of the gradient along v.
#include "check.h"

extern int enzyme_const, enzyme_dup, enzyme_out;
double __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

static const double tbl[4] = {0.5, -0.25, 1.5, 0.75};
static const double *gptr;
static double garr[3];

double f(const double *p, double s) {
  gptr = garr;
  for (int i = 0; i < 3; i++)
    garr[i] = p[(i + 1) % 3] * s;
  double t = gptr[1] * gptr[2];
  gptr = tbl;
  t += gptr[1] * gptr[2] * p[1];
  return t * t;
}

__attribute__((noinline)) static void GRAD(const double *x, double *g) {
  double p[3] = {x[0], x[1], x[2]}, dp[3] = {0, 0, 0};
  g[3] = __enzyme_autodiff((void *)f, enzyme_dup, p, dp, x[3]);
  for (int i = 0; i < 3; i++)
    g[i] = dp[i];
}

int main(void) {
  const double x[4] = {0.3, -0.7, 0.9, 0.6}, v[4] = {0.2, -0.1, 0.3, 0.5}, e = 1e-6;
  double g[4], h[4], gp[4], gm[4], xp[4], xm[4];
  __enzyme_fwddiff((void *)GRAD, enzyme_dup, x, v, enzyme_dup, g, h);
  for (int i = 0; i < 4; i++) {
    xp[i] = x[i] + e * v[i];
    xm[i] = x[i] - e * v[i];
  }
  GRAD(xp, gp);
  GRAD(xm, gm);
  for (int i = 0; i < 4; i++)
    CHECK_CLOSE("forward-over-reverse: H v vs FD of the gradient", h[i], (gp[i] - gm[i]) / (2 * e), RTOL_FD, ATOL_FD);
  return check_report();
}
