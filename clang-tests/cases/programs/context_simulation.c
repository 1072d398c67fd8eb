// A simulation whose physical constants are mutable globals (old C style): the gradient of the
// final energy with respect to the constants through __enzyme_context shadows, the truncated
// series length via __enzyme_iter, and enzyme_primal_return in forward mode.
// Written as a new user's Enzyme program (session 36). Oracle: central differences (and forward vs reverse, analytic where noted).
#include "check.h"
#include <stdint.h>
extern void *__enzyme_context(int);
extern void *__enzyme_shadow(void *, void *, int);
extern void __enzyme_zero_shadows(void *);
extern int enzyme_context, enzyme_dup, enzyme_const, enzyme_out, enzyme_primal_return, enzyme_dup_return;
double __enzyme_autodiff(void *, ...);
typedef struct { double primal, tangent; } dual;
dual __enzyme_fwddiff_pr(void *, ...) __asm__("__enzyme_fwddiff");
uint64_t __enzyme_iter(uint64_t, uint64_t);

double G = 9.81, DRAG = 0.05, DT = 0.01;
static double hist[64];
double flight(double v0, double angle) {
  double vx = v0 * cos(angle), vy = v0 * sin(angle), x = 0, y = 0;
  for (int i = 0; i < 50; i++) {
    double sp = sqrt(vx * vx + vy * vy);
    vx -= DT * DRAG * sp * vx;
    vy -= DT * (G + DRAG * sp * vy);
    x += DT * vx;
    y += DT * vy;
    hist[i] = y;
  }
  return x + 0.1 * y * y;
}
static double v00 = 12.0, ang0 = 0.7;
static double f_G(double g) { double o = G; G = g; double r = flight(v00, ang0); G = o; return r; }
static double f_D(double d) { double o = DRAG; DRAG = d; double r = flight(v00, ang0); DRAG = o; return r; }
static double f_v(double v) { return flight(v, ang0); }

double cosh_series(double x) {
  uint64_t n = __enzyme_iter(10, 2);
  double s = 0, t = 1;
  for (uint64_t k = 0; k <= 2 * n; k++) {
    if (k) t *= x / (double)k;
    if (k % 2 == 0) s += t;
  }
  return s;
}

int main(void) {
  void *ctx = __enzyme_context(1);
  double *dG = (double *)__enzyme_shadow(ctx, &G, 0);
  double *dD = (double *)__enzyme_shadow(ctx, &DRAG, 0);
  for (int rep = 0; rep < 2; rep++) {
    __enzyme_zero_shadows(ctx);
    double dv = __enzyme_autodiff((void *)flight, enzyme_context, ctx, v00, enzyme_const, ang0);
    CHECK_CLOSE("d/dv0", dv, fd1(f_v, v00), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("d/dG", *dG, fd1(f_G, G), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("d/dDRAG", *dD, fd1(f_D, DRAG), RTOL_FD, ATOL_FD);
  }
  dual r = __enzyme_fwddiff_pr((void *)flight, enzyme_primal_return, v00, 1.0, enzyme_const, ang0);
  CHECK_CLOSE("primal returned", r.primal, flight(v00, ang0), 1e-14, 0);
  CHECK_CLOSE("tangent returned", r.tangent, fd1(f_v, v00), RTOL_FD, ATOL_FD);
  for (double x = 0.5; x < 2.6; x += 1.0) {
    double d = __enzyme_autodiff((void *)cosh_series, x);
    CHECK_CLOSE_AT("iter d cosh = sinh", x, d, sinh(x), 1e-12, 1e-13);
  }
  return check_report();
}
