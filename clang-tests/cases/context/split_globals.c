// Enzyme's global-shadow contexts in split reverse mode: __enzyme_augmentfwd and
// __enzyme_reverse both called with `enzyme_context, ctx`. The reverse sweep adds the adjoints of
// the globals' values (read by the augmented pass) to the context's shadows; a global the function
// writes is an output whose adjoint the caller seeds in its shadow between the two calls. Code
// between the calls may change the globals (the reverse sweep uses the values the augmented pass
// saw); the tape may live in caller memory (enzyme_allocated / enzyme_tape); two contexts hold
// separate shadows. Oracles: analytic partials, central finite differences in each global, and
// the combined-mode gradient with the same context.
// RUN: clang opt
#include "check.h"
#include <math.h>

extern void *__enzyme_context(int);
extern void *__enzyme_shadow(void *, void *, int);
extern void __enzyme_zero_shadows(void *);
double __enzyme_autodiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_reverse(void *, ...);
int __enzyme_augmentsize(void *, ...);
extern int enzyme_context, enzyme_allocated, enzyme_tape;

double k = 1.5;
double w[3] = {0.5, -1.0, 2.0};
double last;

void *volatile keep[2]; /* the contexts stay reachable (valgrind) */

static double f(double x) {
  double s = 0.25;
  for (int i = 0; i < 3; i++)
    s += w[i] * sin(k * x * (double)(i + 1));
  last = s * x; /* an output through a global */
  return s * s;
}

static double x0;
static double f_of_k(double v) { double o = k; k = v; double r = f(x0); k = o; return r; }
static double f_of_w2(double v) { double o = w[2]; w[2] = v; double r = f(x0); w[2] = o; return r; }
static double last_of_k(double v) { double o = k; k = v; f(x0); k = o; return last; }
static double f_of_x(double v) { return f(v); }

int main(void) {
  void *ctx = __enzyme_context(1), *ctx2 = __enzyme_context(1);
  keep[0] = ctx;
  keep[1] = ctx2;
  double *dk = (double *)__enzyme_shadow(ctx, &k, 0);
  double *dw = (double *)__enzyme_shadow(ctx, &w, 0);
  double *dlast = (double *)__enzyme_shadow(ctx, &last, 0);
  double *dk2 = (double *)__enzyme_shadow(ctx2, &k, 0);
  const double xs[] = {-0.8, 0.3, 1.7};
  for (int t = 0; t < 3; t++) {
    double x = xs[t];
    x0 = x;
    double s = 0.25, ds_dx = 0, ds_dk = 0;
    for (int i = 0; i < 3; i++) {
      s += w[i] * sin(k * x * (i + 1));
      ds_dx += w[i] * cos(k * x * (i + 1)) * k * (i + 1);
      ds_dk += w[i] * cos(k * x * (i + 1)) * x * (i + 1);
    }

    /* seed 1 on the result only */
    __enzyme_zero_shadows(ctx);
    __enzyme_zero_shadows(ctx2);
    void *tape = __enzyme_augmentfwd((void *)f, enzyme_context, ctx, x);
    double kept = k;
    k = 100.0; /* changed between the sweeps: the reverse sweep uses what f read */
    double dx = __enzyme_reverse((void *)f, enzyme_context, ctx, x, 1.0, tape);
    k = kept;
    CHECK_CLOSE_AT("split d/dx", x, dx, 2 * s * ds_dx, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("split d/dx vs fd", x, dx, fd1(f_of_x, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("split d/dk in the shadow", x, *dk, 2 * s * ds_dk, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("split d/dk vs fd", x, *dk, fd1(f_of_k, k), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("split d/dw2 vs fd", x, dw[2], fd1(f_of_w2, w[2]), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("other context untouched", x, *dk2, 0.0, 0, 0);

    /* the combined derivative agrees, and accumulates on top */
    double dxc = __enzyme_autodiff((void *)f, enzyme_context, ctx, x);
    CHECK_CLOSE_AT("combined d/dx", x, dxc, dx, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("accumulated d/dk", x, *dk, 4 * s * ds_dk, RTOL_D, ATOL_D);

    /* seed the output global only (result adjoint 0), tape in caller memory, second context */
    double *dlast2 = (double *)__enzyme_shadow(ctx2, &last, 0);
    *dlast2 = 1.0;
    int size = __enzyme_augmentsize((void *)f, enzyme_context, ctx2, enzyme_out);
    char mem[256] __attribute__((aligned(16)));
    CHECK_TRUE("tape size fits", size <= (int)sizeof mem);
    __enzyme_augmentfwd((void *)f, enzyme_context, ctx2, enzyme_allocated, (long)sizeof mem,
                        enzyme_tape, mem, x);
    double dxl = __enzyme_reverse((void *)f, enzyme_context, ctx2, enzyme_allocated,
                                  (long)sizeof mem, enzyme_tape, mem, x, 0.0);
    CHECK_CLOSE_AT("d last/dx (seeded through the global's shadow)", x, dxl, s + x * ds_dx, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("d last/dk", x, *dk2, fd1(last_of_k, k), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("the output's seed is consumed", x, *dlast2, 0.0, 0, 0);
    (void)dlast;
  }
  return check_report();
}
