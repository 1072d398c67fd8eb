// A derivative called with a global-shadow context whose function calls another that stays a
// call (-ferment-no-inline): the callee's derivatives (reverse: augmented forward and reverse
// functions with a tape; forward: its tangent function) take the globals' shadows from the same
// context. Checked against the analytic derivatives and central finite differences with respect
// to the globals' values, in both modes.
// CFLAGS: -mllvm -ferment-no-inline
// RUN: clang
#include "check.h"
#include <math.h>

extern void *__enzyme_context(int);
extern void *__enzyme_shadow(void *, void *, int);
extern void __enzyme_zero_shadows(void *);
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_context;

double k = 1.5;
double w[3] = {0.5, -1.0, 2.0};
void *volatile keep; /* the context stays reachable (valgrind) */

__attribute__((noinline)) static double g(double x) {
  double s = 0;
  for (int i = 0; i < 3; i++)
    s += w[i] * sin(k * x * (i + 1));
  return s;
}

static double f(double x) { return g(x) * g(x) + k * x; }

static double x0;
static double f_of_k(double v) { double o = k; k = v; double r = f(x0); k = o; return r; }
static double f_of_w2(double v) { double o = w[2]; w[2] = v; double r = f(x0); w[2] = o; return r; }

int main(void) {
  void *ctx = __enzyme_context(1);
  keep = ctx;
  double *dk = (double *)__enzyme_shadow(ctx, &k, 0);
  double *dw = (double *)__enzyme_shadow(ctx, &w, 0);
  const double xs[] = {-0.4, 0.9};
  for (int t = 0; t < 2; t++) {
    double x = xs[t];
    x0 = x;
    double s = g(x), ds_dk = 0, ds_dx = 0;
    for (int i = 0; i < 3; i++) {
      ds_dk += w[i] * cos(k * x * (i + 1)) * x * (i + 1);
      ds_dx += w[i] * cos(k * x * (i + 1)) * k * (i + 1);
    }
    __enzyme_zero_shadows(ctx);
    double dx = __enzyme_autodiff((void *)f, enzyme_context, ctx, x);
    CHECK_CLOSE("df/dx", dx, 2 * s * ds_dx + k, RTOL_D, ATOL_D);
    CHECK_CLOSE("df/dk", *dk, 2 * s * ds_dk + x, RTOL_D, ATOL_D);
    CHECK_CLOSE("df/dk vs FD", *dk, fd1(f_of_k, k), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("df/dw[2]", dw[2], 2 * s * sin(3 * k * x), RTOL_D, ATOL_D);
    CHECK_CLOSE("df/dw[2] vs FD", dw[2], fd1(f_of_w2, w[2]), RTOL_FD, ATOL_FD);

    __enzyme_zero_shadows(ctx);
    *dk = 1.0;
    double tk = __enzyme_fwddiff((void *)f, enzyme_context, ctx, x, 0.0);
    CHECK_CLOSE("forward along k", tk, 2 * s * ds_dk + x, RTOL_D, ATOL_D);
    CHECK_CLOSE("forward along k vs FD", tk, fd1(f_of_k, k), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
