// Batched forward mode (enzyme_width 2 and 3) over code that uses a global-shadow context: a
// function creates an inner context, calls a reverse derivative with it and reads back what was
// accumulated into the inner shadows; each tangent lane keeps the tangents of those shadows in
// its own tangent context. The calls pass an outer context of the call's width (there the
// tangent contexts stay reachable, in the shadows of the array holding the inner contexts, and
// the lanes can also carry the tangents of the global's value seeded in its lanes' shadows;
// without one, every call would zero those shadows). Oracles: analytic second
// derivatives and central finite differences (in x and in the global), lane by lane.
// RUN: clang opt
#include "check.h"
#include <math.h>

extern void *__enzyme_context(int);
extern void *__enzyme_shadow(void *, void *, int);
extern void __enzyme_zero_shadows(void *);
double __enzyme_autodiff(void *, ...);
typedef struct { double t[2]; } T2;
typedef struct { double t[3]; } T3;
T2 __enzyme_fwddiff(void *, ...);
T3 __enzyme_fwddiff3(void *, ...) __asm__("__enzyme_fwddiff");
extern int enzyme_context, enzyme_width;

double g = 1.5;
double c[2] = {0.5, 2.0};
void *volatile keep[2];
void *inner_contexts[64];
int n_inner;

static double f(double x) { return g * x * x * x + c[0] * sin(c[1] * x); }

/* df/dx + 2 df/dg + 3 df/dc1 */
static double mix(double x) {
  void *inner = __enzyme_context(1);
  inner_contexts[n_inner++ & 63] = inner;
  __enzyme_zero_shadows(inner);
  double *dg = (double *)__enzyme_shadow(inner, &g, 0);
  double *dc = (double *)__enzyme_shadow(inner, &c, 0);
  double dx = __enzyme_autodiff((void *)f, enzyme_context, inner, x);
  return dx + 2 * *dg + 3 * dc[1];
}

static double d_mix_dx(double x) {
  return 6 * g * x - c[0] * c[1] * c[1] * sin(c[1] * x) + 6 * x * x +
         3 * c[0] * (cos(c[1] * x) - c[1] * x * sin(c[1] * x));
}
static double d_mix_dg(double x) { return 3 * x * x; }

static double x0;
static double mix_of_g(double v) { double o = g; g = v; double r = mix(x0); g = o; return r; }

int main(void) {
  void *outer = __enzyme_context(2), *outer3 = __enzyme_context(3);
  keep[0] = outer;
  keep[1] = outer3;
  double *tg0 = (double *)__enzyme_shadow(outer, &g, 0);
  double *tg1 = (double *)__enzyme_shadow(outer, &g, 1);
  const double xs[] = {-0.7, 1.2};
  for (int t = 0; t < 2; t++) {
    double x = xs[t];
    x0 = x;
    __enzyme_zero_shadows(outer);
    T2 a = __enzyme_fwddiff((void *)mix, enzyme_context, outer, x, 1.0, -2.5);
    CHECK_CLOSE_AT("lane 0: d mix/dx", x, a.t[0], d_mix_dx(x), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("lane 1: -2.5 d mix/dx", x, a.t[1], -2.5 * d_mix_dx(x), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("lane 0 vs fd", x, a.t[0], fd1(mix, x), RTOL_FD, ATOL_FD);
    T3 b = __enzyme_fwddiff3((void *)mix, enzyme_context, outer3, enzyme_width, 3, x, 0.0, 1.0, 0.5);
    CHECK_CLOSE_AT("width 3, lane 0: zero", x, b.t[0], 0.0, 0, ATOL_D);
    CHECK_CLOSE_AT("width 3, lane 2", x, b.t[2], 0.5 * d_mix_dx(x), RTOL_D, ATOL_D);
    /* outer context of width 2: lane 0 moves x, lane 1 moves g */
    __enzyme_zero_shadows(outer);
    *tg0 = 0.0;
    *tg1 = 1.0;
    T2 o = __enzyme_fwddiff((void *)mix, enzyme_context, outer, x, 1.0, 0.0);
    CHECK_CLOSE_AT("outer lane 0: d mix/dx", x, o.t[0], d_mix_dx(x), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("outer lane 1: d mix/dg", x, o.t[1], d_mix_dg(x), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("outer lane 1 vs fd", x, o.t[1], fd1(mix_of_g, g), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
