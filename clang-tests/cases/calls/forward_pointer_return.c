// Forward mode of a function returning a pointer into a duplicated argument returns the pointer's
// shadow (was a null pointer), with enzyme_primal_return the primal first; a pointer into
// constant memory has a null shadow, a fresh allocation a fresh shadow; a call that ignores the
// result may declare any return type. Oracles: analytic tangents, and the returned shadow is the argument's shadow at the offset.
// RUN: clang opt
#include "check.h"
#include <stdlib.h>
extern int enzyme_dup, enzyme_const, enzyme_primal_return;
double *__enzyme_fwddiff(void *, ...);
typedef struct { double *primal, *shadow; } PS;
PS __enzyme_fwddiff_ps(void *, ...);
const double *__enzyme_fwddiff_c(void *, ...);
double __enzyme_fwddiff_d(void *, ...);

static double *square_pick(double *x, int k) {
  x[k] = x[k] * exp(x[k]);
  return x + k;
}
// a fresh allocation: its shadow is allocated too, and the caller frees both
static double *squares(const double *x, int n) {
  double *r = malloc(n * sizeof(double));
  for (int i = 0; i < n; i++) r[i] = x[i] * x[i];
  return r;
}
static const double table[3] = {1.0, 2.0, 3.0};
static const double *scaled(double *x, int k) {
  x[0] *= table[k] * x[0];
  return table + k;
}

int main(void) {
  double x[3] = {1.0, 0.5, -0.25}, tx[3] = {1.0, 2.0, 3.0};
  double *s = __enzyme_fwddiff((void *)square_pick, enzyme_dup, x, tx, enzyme_const, 1);
  CHECK_TRUE("the shadow of the result", s == tx + 1);
  CHECK_CLOSE("its tangent", *s, 2.0 * (1 + 0.5) * exp(0.5), RTOL_D, ATOL_D);
  CHECK_CLOSE("primal written", x[1], 0.5 * exp(0.5), RTOL_D, ATOL_D);
  double y[3] = {1.0, 0.5, -0.25}, ty[3] = {0.0, 0.0, 1.0};
  PS ps = __enzyme_fwddiff_ps((void *)square_pick, enzyme_primal_return, enzyme_dup, y, ty,
                              enzyme_const, 2);
  CHECK_TRUE("primal pointer", ps.primal == y + 2);
  CHECK_TRUE("shadow pointer", ps.shadow == ty + 2);
  CHECK_CLOSE("tangent through the shadow", *ps.shadow, (1 - 0.25) * exp(-0.25), RTOL_D, ATOL_D);
  double z[3] = {1.5, 0, 0}, tz[3] = {1.0, 0, 0};
  const double *c = __enzyme_fwddiff_c((void *)scaled, enzyme_dup, z, tz, enzyme_const, 2);
  CHECK_TRUE("constant memory: null shadow", c == NULL);
  CHECK_CLOSE("tangent of the argument", tz[0], 2 * 3.0 * 1.5, RTOL_D, ATOL_D);
  PS m = __enzyme_fwddiff_ps((void *)squares, enzyme_primal_return, enzyme_dup, x, tx, enzyme_const, 3);
  for (int i = 0; i < 3; i++) {
    CHECK_CLOSE("fresh primal", m.primal[i], x[i] * x[i], RTOL_D, ATOL_D);
    CHECK_CLOSE("fresh tangent", m.shadow[i], 2 * x[i] * tx[i], RTOL_D, ATOL_D);
  }
  free(m.primal);
  free(m.shadow);
  double w[3] = {1.0, 0.5, -0.25}, tw[3] = {1.0, 0.0, 0.0};
  __enzyme_fwddiff_d((void *)square_pick, enzyme_dup, w, tw, enzyme_const, 0);
  CHECK_CLOSE("result ignored", tw[0], 2.0 * exp(1.0), RTOL_D, ATOL_D);
  return check_report();
}
