// Enzyme's global-shadow contexts in reverse mode (issue 14): a derivative called with
// `enzyme_context, ctx` treats the values of the mutable globals it reads as active inputs and
// accumulates their adjoints into the context's shadows, which persist across calls until
// `__enzyme_zero_shadows`. A global the function writes is an output whose adjoint the caller
// seeds in its shadow. Checked against the analytic gradient and central finite differences of
// the function with respect to each global's value; a call without the context still treats the
// globals' values as constants.
// RUN: clang opt
#include "check.h"
#include <math.h>

extern void *__enzyme_context(int);
extern void *__enzyme_shadow(void *, void *, int);
extern void __enzyme_zero_shadows(void *);
double __enzyme_autodiff(void *, ...);
extern int enzyme_context;

double k = 1.5;
double w[3] = {0.5, -1.0, 2.0};
struct {
  long n;
  double bias;
  int flags;
  double gain;
} cfg = {3, 0.25, 7, 1.1};
double last;

void *volatile keep; /* the context stays reachable (valgrind) */

static double f(double x) {
  double s = cfg.bias;
  for (long i = 0; i < cfg.n; i++)
    s += w[i] * sin(k * x * (double)(i + 1));
  last = s * x;
  return cfg.gain * s * s;
}

/* f's sum and the partials of f with respect to x, k, w[i], bias, gain */
static double sum_at(double x) {
  double s = cfg.bias;
  for (int i = 0; i < 3; i++)
    s += w[i] * sin(k * x * (i + 1));
  return s;
}

static double x0;
static double f_of_k(double v) { double o = k; k = v; double r = f(x0); k = o; return r; }
static double f_of_w1(double v) { double o = w[1]; w[1] = v; double r = f(x0); w[1] = o; return r; }
static double f_of_bias(double v) { double o = cfg.bias; cfg.bias = v; double r = f(x0); cfg.bias = o; return r; }
static double f_of_gain(double v) { double o = cfg.gain; cfg.gain = v; double r = f(x0); cfg.gain = o; return r; }
static double f_of_x(double v) { return f(v); }
static double last_of_x(double v) { f(v); return last; }
static double last_of_k(double v) { double o = k; k = v; f(x0); k = o; return last; }

int main(void) {
  void *ctx = __enzyme_context(1);
  keep = ctx;
  double *dk = (double *)__enzyme_shadow(ctx, &k, 0);
  double *dw = (double *)__enzyme_shadow(ctx, &w, 0);
  double *dbias = (double *)__enzyme_shadow(ctx, &cfg.bias, 0);
  double *dgain = (double *)__enzyme_shadow(ctx, &cfg.gain, 0);
  long *dn = (long *)__enzyme_shadow(ctx, &cfg.n, 0);
  int *dflags = (int *)__enzyme_shadow(ctx, &cfg.flags, 0);
  double *dlast = (double *)__enzyme_shadow(ctx, &last, 0);
  /* A new shadow: integers copied, floats zero; the same byte twice is the same shadow. */
  CHECK_TRUE("integer field copied", *dn == 3 && *dflags == 7);
  CHECK_TRUE("float fields zero", *dk == 0 && dw[2] == 0 && *dbias == 0 && *dgain == 0);
  CHECK_TRUE("same shadow", (double *)__enzyme_shadow(ctx, &w[2], 0) == dw + 2);

  const double xs[] = {-0.8, 0.3, 1.7};
  for (int t = 0; t < 3; t++) {
    double x = xs[t];
    x0 = x;
    __enzyme_zero_shadows(ctx);
    CHECK_TRUE("zeroed, integers kept", *dk == 0 && *dn == 3 && *dflags == 7);
    double dx = __enzyme_autodiff((void *)f, enzyme_context, ctx, x);
    double s = sum_at(x), g = cfg.gain;
    double ds_dx = 0, ds_dk = 0;
    for (int i = 0; i < 3; i++) {
      ds_dx += w[i] * cos(k * x * (i + 1)) * k * (i + 1);
      ds_dk += w[i] * cos(k * x * (i + 1)) * x * (i + 1);
    }
    CHECK_CLOSE("df/dx", dx, 2 * g * s * ds_dx, RTOL_D, ATOL_D);
    CHECK_CLOSE("df/dx vs FD", dx, fd1(f_of_x, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("df/dk", *dk, 2 * g * s * ds_dk, RTOL_D, ATOL_D);
    CHECK_CLOSE("df/dk vs FD", *dk, fd1(f_of_k, k), RTOL_FD, ATOL_FD);
    for (int i = 0; i < 3; i++)
      CHECK_CLOSE("df/dw[i]", dw[i], 2 * g * s * sin(k * x * (i + 1)), RTOL_D, ATOL_D);
    CHECK_CLOSE("df/dw[1] vs FD", dw[1], fd1(f_of_w1, w[1]), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("df/dbias", *dbias, 2 * g * s, RTOL_D, ATOL_D);
    CHECK_CLOSE("df/dbias vs FD", *dbias, fd1(f_of_bias, cfg.bias), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("df/dgain", *dgain, s * s, RTOL_D, ATOL_D);
    CHECK_CLOSE("df/dgain vs FD", *dgain, fd1(f_of_gain, cfg.gain), RTOL_FD, ATOL_FD);
    CHECK_TRUE("integers untouched", *dn == 3 && *dflags == 7);
    CHECK_CLOSE("last's adjoint consumed", *dlast, 0.0, 0, 0);

    /* Without zeroing, a second call adds the same adjoints again. */
    double dx2 = __enzyme_autodiff((void *)f, enzyme_context, ctx, x);
    CHECK_CLOSE("df/dx again", dx2, dx, RTOL_D, ATOL_D);
    CHECK_CLOSE("df/dk accumulates", *dk, 4 * g * s * ds_dk, RTOL_D, ATOL_D);

    /* The written global as an output: seed its adjoint, f's own seed comes too. */
    __enzyme_zero_shadows(ctx);
    *dlast = 0.5;
    double dxl = __enzyme_autodiff((void *)f, enzyme_context, ctx, x);
    CHECK_CLOSE("d(f + last/2)/dx", dxl, fd1(f_of_x, x) + 0.5 * fd1(last_of_x, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("d(f + last/2)/dk", *dk, fd1(f_of_k, k) + 0.5 * fd1(last_of_k, k), RTOL_FD, ATOL_FD);

    /* No context: the globals' values are constants, the context is not touched. */
    __enzyme_zero_shadows(ctx);
    double plain = __enzyme_autodiff((void *)f, x);
    CHECK_CLOSE("df/dx without context", plain, 2 * g * s * ds_dx, RTOL_D, ATOL_D);
    CHECK_TRUE("context untouched", *dk == 0 && *dbias == 0 && dw[0] == 0);
  }
  return check_report();
}
