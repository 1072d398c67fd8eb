// Forward mode over code that uses a global-shadow context (issue 14): a function that creates
// an inner context, seeds a global's shadow there, calls a reverse derivative with it and returns
// what the derivative returns or accumulated into the inner shadows, differentiated in forward
// mode with an outer context that carries the tangent of the global's value. The tangents of the
// inner shadows live in a second context beside the inner one. Checked against analytic second
// derivatives and central finite differences of the (differentiable, plain) inner function in x
// and in the global's value; also without the outer context.
// RUN: clang opt
#include "check.h"
#include <math.h>

extern void *__enzyme_context(int);
extern void *__enzyme_shadow(void *, void *, int);
extern void __enzyme_zero_shadows(void *);
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_context;

double g = 1.5;
double c[2] = {0.5, 2.0};
void *volatile keep; /* the outer context stays reachable (valgrind) */
/* Each call of mix makes a context; they stay reachable (valgrind), and so do the tangent
   contexts the derivative makes beside them, stored in the shadow of this array. */
void *inner_contexts[64];
int n_inner;

/* f = g x^3 + c0 sin(c1 x) */
static double f(double x) { return g * x * x * x + c[0] * sin(c[1] * x); }

/* df/dx + 2 df/dg + 3 df/dc1, the inner shadows read back after the reverse call */
static double mix(double x) {
  void *inner = __enzyme_context(1);
  inner_contexts[n_inner++ & 63] = inner;
  __enzyme_zero_shadows(inner);
  double *dg = (double *)__enzyme_shadow(inner, &g, 0);
  double *dc = (double *)__enzyme_shadow(inner, &c, 0);
  double dx = __enzyme_autodiff((void *)f, enzyme_context, inner, x);
  return dx + 2 * *dg + 3 * dc[1];
}

static double mix_at(double x) { return 3 * g * x * x + c[0] * c[1] * cos(c[1] * x) + 2 * x * x * x + 3 * c[0] * x * cos(c[1] * x); }
static double d_mix_dx(double x) {
  return 6 * g * x - c[0] * c[1] * c[1] * sin(c[1] * x) + 6 * x * x + 3 * c[0] * (cos(c[1] * x) - c[1] * x * sin(c[1] * x));
}
static double d_mix_dg(double x) { return 3 * x * x; }
static double d_mix_dc1(double x) {
  return c[0] * (cos(c[1] * x) - c[1] * x * sin(c[1] * x)) + 3 * c[0] * (-x * x * sin(c[1] * x));
}

static double x0;
static double mix_of_g(double v) { double o = g; g = v; double r = mix(x0); g = o; return r; }
static double mix_of_c1(double v) { double o = c[1]; c[1] = v; double r = mix(x0); c[1] = o; return r; }

int main(void) {
  void *outer = __enzyme_context(1);
  keep = outer;
  double *tg = (double *)__enzyme_shadow(outer, &g, 0);
  double *tc = (double *)__enzyme_shadow(outer, &c, 0);
  const double xs[] = {-0.7, 1.2};
  for (int t = 0; t < 2; t++) {
    double x = xs[t];
    x0 = x;
    CHECK_CLOSE("mix (a plain function)", mix(x), mix_at(x), RTOL_D, ATOL_D);
    __enzyme_zero_shadows(outer);
    double tx = __enzyme_fwddiff((void *)mix, enzyme_context, outer, x, 1.0);
    CHECK_CLOSE("d mix/dx", tx, d_mix_dx(x), RTOL_D, ATOL_D);
    CHECK_CLOSE("d mix/dx vs FD", tx, fd1(mix, x), RTOL_FD, ATOL_FD);
    /* Without the outer context the globals' values are constants: the same tangent. (Once:
       the shadow of inner_contexts is then zeroed on entry, losing the last tangent context.) */
    if (t == 1) {
      double tplain = __enzyme_fwddiff((void *)mix, x, 1.0);
      CHECK_CLOSE("d mix/dx without outer context", tplain, d_mix_dx(x), RTOL_D, ATOL_D);
    }
    __enzyme_zero_shadows(outer);
    *tg = 1.0;
    double tgv = __enzyme_fwddiff((void *)mix, enzyme_context, outer, x, 0.0);
    CHECK_CLOSE("d mix/dg", tgv, d_mix_dg(x), RTOL_D, ATOL_D);
    CHECK_CLOSE("d mix/dg vs FD", tgv, fd1(mix_of_g, g), RTOL_FD, ATOL_FD);
    __enzyme_zero_shadows(outer);
    tc[1] = 1.0;
    double tcv = __enzyme_fwddiff((void *)mix, enzyme_context, outer, x, 0.0);
    CHECK_CLOSE("d mix/dc1", tcv, d_mix_dc1(x), RTOL_D, ATOL_D);
    CHECK_CLOSE("d mix/dc1 vs FD", tcv, fd1(mix_of_c1, c[1]), RTOL_FD, ATOL_FD);
  }
  CHECK_TRUE("every inner context kept", n_inner <= 64);
  return check_report();
}
