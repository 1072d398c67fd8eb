// Enzyme's global-shadow contexts in forward mode (issue 14), one and two tangent lanes: the
// tangents of the globals' values are seeded in the context's shadows (lane l of a context of
// width 2 is `__enzyme_shadow(ctx, &g, l)`), the derivative reads them without clearing them,
// and a global the function writes gets its tangent in its shadow. A width-2 context makes the
// call batched: two tangents per active argument, a struct of two tangents back. Checked
// against central finite differences along the seeded direction and against the analytic
// directional derivative.
// RUN: clang opt
#include "check.h"
#include <math.h>

extern void *__enzyme_context(int);
extern void *__enzyme_shadow(void *, void *, int);
extern void __enzyme_zero_shadows(void *);
double __enzyme_fwddiff(void *, ...);
typedef struct {
  double lane0, lane1;
} Pair;
extern Pair __enzyme_fwddiff2(void *, ...) __asm__("__enzyme_fwddiff");
extern int enzyme_context;

double a = 0.7;
double coef[2] = {1.25, -0.5};
double y;

void *volatile keep[2]; /* the contexts stay reachable (valgrind) */

static double f(double x) {
  y = a * x * x + coef[1];
  return exp(a * x) * coef[0] + coef[1] * y;
}

/* f along the direction (dx, da, dc0, dc1) at step t */
static double x0, dir_x, dir_a, dir_c0, dir_c1;
static int want_y;
static double along(double t) {
  double sa = a, s0 = coef[0], s1 = coef[1];
  a += t * dir_a;
  coef[0] += t * dir_c0;
  coef[1] += t * dir_c1;
  double r = f(x0 + t * dir_x);
  a = sa, coef[0] = s0, coef[1] = s1;
  return want_y ? y : r;
}

static double analytic(double x, double dx, double da, double dc0, double dc1) {
  double dy = da * x * x + 2 * a * x * dx + dc1;
  double yy = a * x * x + coef[1];
  return exp(a * x) * (da * x + a * dx) * coef[0] + exp(a * x) * dc0 + dc1 * yy + coef[1] * dy;
}

int main(void) {
  void *ctx = __enzyme_context(1);
  keep[0] = ctx;
  double *da = (double *)__enzyme_shadow(ctx, &a, 0);
  double *dc = (double *)__enzyme_shadow(ctx, &coef, 0);
  double *dy = (double *)__enzyme_shadow(ctx, &y, 0);
  const double xs[] = {-1.1, 0.4, 1.3};
  for (int t = 0; t < 3; t++) {
    double x = xs[t];
    x0 = x;
    /* tangent of a only, then of x and coef[1] together */
    __enzyme_zero_shadows(ctx);
    *da = 1.0;
    double ta = __enzyme_fwddiff((void *)f, enzyme_context, ctx, x, 0.0);
    dir_x = 0, dir_a = 1, dir_c0 = 0, dir_c1 = 0, want_y = 0;
    CHECK_CLOSE("df along a", ta, analytic(x, 0, 1, 0, 0), RTOL_D, ATOL_D);
    CHECK_CLOSE("df along a vs FD", ta, fd1(along, 0.0), RTOL_FD, ATOL_FD);
    want_y = 1;
    CHECK_CLOSE("dy along a vs FD", *dy, fd1(along, 0.0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("seed kept", *da, 1.0, 0, 0);

    __enzyme_zero_shadows(ctx);
    dc[1] = -2.0;
    double tx = __enzyme_fwddiff((void *)f, enzyme_context, ctx, x, 0.5);
    dir_x = 0.5, dir_a = 0, dir_c0 = 0, dir_c1 = -2.0, want_y = 0;
    CHECK_CLOSE("df along x, coef[1]", tx, analytic(x, 0.5, 0, 0, -2.0), RTOL_D, ATOL_D);
    CHECK_CLOSE("df along x, coef[1] vs FD", tx, fd1(along, 0.0), RTOL_FD, ATOL_FD);
  }

  /* Two lanes: lane 0 along coef[0] and x, lane 1 along a. */
  void *ctx2 = __enzyme_context(2);
  keep[1] = ctx2;
  double *c0 = (double *)__enzyme_shadow(ctx2, &coef, 0);
  double *c1 = (double *)__enzyme_shadow(ctx2, &coef, 1);
  double *a0 = (double *)__enzyme_shadow(ctx2, &a, 0);
  double *a1 = (double *)__enzyme_shadow(ctx2, &a, 1);
  CHECK_TRUE("lanes are distinct", c0 != c1 && a0 != a1);
  for (int t = 0; t < 3; t++) {
    double x = xs[t];
    x0 = x;
    __enzyme_zero_shadows(ctx2);
    c0[0] = 1.0;
    *a1 = 1.0;
    Pair p = __enzyme_fwddiff2((void *)f, enzyme_context, ctx2, x, 1.0, 0.0);
    dir_x = 1, dir_a = 0, dir_c0 = 1, dir_c1 = 0, want_y = 0;
    CHECK_CLOSE("lane 0", p.lane0, analytic(x, 1, 0, 1, 0), RTOL_D, ATOL_D);
    CHECK_CLOSE("lane 0 vs FD", p.lane0, fd1(along, 0.0), RTOL_FD, ATOL_FD);
    dir_x = 0, dir_a = 1, dir_c0 = 0, dir_c1 = 0;
    CHECK_CLOSE("lane 1", p.lane1, analytic(x, 0, 1, 0, 0), RTOL_D, ATOL_D);
    CHECK_CLOSE("lane 1 vs FD", p.lane1, fd1(along, 0.0), RTOL_FD, ATOL_FD);
    want_y = 1;
    CHECK_CLOSE("dy lane 1 vs FD", *(double *)__enzyme_shadow(ctx2, &y, 1), fd1(along, 0.0), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
