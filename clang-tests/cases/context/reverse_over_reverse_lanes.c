// Batched reverse mode (enzyme_width 2) over code that uses a global-shadow context: a function
// of two inputs that creates an inner context, calls a reverse derivative with it and returns
// two outputs built from what the inner derivative returned and accumulated. One call gives both
// rows of the Jacobian; each adjoint lane has its own second context. Oracle: central finite
// differences of the plain function, per row and column.
// RUN: clang opt
#include "check.h"
#include <math.h>

extern void *__enzyme_context(int);
extern void *__enzyme_shadow(void *, void *, int);
extern void __enzyme_zero_shadows(void *);
void __enzyme_autodiff(void *, ...);
double __enzyme_autodiff_scalar(void *, ...);
extern int enzyme_context, enzyme_width, enzyme_dup;

double g = 1.5;
void *inner_contexts[256]; /* the inner contexts stay reachable (valgrind) */
int n_inner;

static double f(double x) { return g * sin(x) * x; }

static void h(double *x, double *out) {
  void *inner = __enzyme_context(1);
  inner_contexts[n_inner++ & 255] = inner;
  __enzyme_zero_shadows(inner);
  double *dg = (double *)__enzyme_shadow(inner, &g, 0);
  double dx = __enzyme_autodiff_scalar((void *)f, enzyme_context, inner, x[0] * x[1]);
  out[0] = dx + 3 * *dg;
  out[1] = x[0] * *dg;
}

static double out_k(const double *x, const void *k) {
  double xx[2] = {x[0], x[1]}, o[2];
  h(xx, o);
  return o[*(const int *)k];
}

int main(void) {
  const double points[2][2] = {{0.8, 1.1}, {-0.6, 0.4}};
  for (int p = 0; p < 2; p++) {
    double x[2] = {points[p][0], points[p][1]}, o[2];
    double row0[2] = {0}, row1[2] = {0}, seed0[2] = {1, 0}, seed1[2] = {0, 1};
    __enzyme_autodiff((void *)h, enzyme_width, 2, enzyme_dup, x, row0, row1, enzyme_dup, o, seed0,
                      seed1);
    const int k0 = 0, k1 = 1;
    CHECK_GRAD_FD("row 0 vs finite differences", out_k, &k0, x, 2, row0, RTOL_FD, ATOL_FD);
    CHECK_GRAD_FD("row 1 vs finite differences", out_k, &k1, x, 2, row1, RTOL_FD, ATOL_FD);
  }
  CHECK_TRUE("every inner context kept", n_inner <= 256);
  return check_report();
}
