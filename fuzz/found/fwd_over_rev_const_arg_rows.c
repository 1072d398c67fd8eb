// CFLAGS: -mllvm -ferment-no-inline
// Forward mode over reverse mode of a kernel that puts an enzyme_const argument and an active
// local array into one array of row pointers (hvp,edge seed 25640057, reduced). The gradient
// stores the constant argument into the rows' shadow as its own shadow; forward mode over the
// gradient (its own function with -ferment-no-inline, the argument a parameter there) refuses
// the pointers loaded back ("merges pointers to duplicated data with pointers to constant data").
// Oracle: central differences of the gradient along v.
#include "check.h"

extern int enzyme_const, enzyme_dup, enzyme_out;
double __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

static const double pc[3] = {0.3, -0.6, 0.9};

double f(const double *p0, double s) {
  double a0[3];
  for (int q = 0; q < 3; q++)
    a0[q] = s * (0.5 + 0.1 * q);
  const double *rows[2] = {p0, a0};
  double t = s;
  for (int i = 0; i < 3; i++)
    t = -0.7 * t + 0.45 * tanh(rows[i % 2][i] * sin(t));
  return t;
}

__attribute__((noinline)) static void GRAD(const double *x, double *g) {
  g[0] = __enzyme_autodiff((void *)f, enzyme_const, pc, enzyme_out, x[0]);
}

int main(void) {
  double x[1] = {0.8}, v[1] = {1.0}, g[1], h[1], gp[1], gm[1], xp[1], xm[1];
  const double e = 1e-6;
  __enzyme_fwddiff((void *)GRAD, enzyme_dup, x, v, enzyme_dup, g, h);
  xp[0] = x[0] + e;
  xm[0] = x[0] - e;
  GRAD(xp, gp);
  GRAD(xm, gm);
  CHECK_CLOSE("forward-over-reverse: H v vs FD of the gradient", h[0], (gp[0] - gm[0]) / (2 * e), RTOL_FD, ATOL_FD);
  return check_report();
}
