// Forward mode over reverse mode (__enzyme_fwddiff of a function calling __enzyme_autodiff or
// __enzyme_augmentfwd + __enzyme_reverse), and reverse over forward, of kernels that store an
// active value in a mutable global. The reverse derivative keeps the global's adjoint in a
// shadow global; forward mode over it kept the global's tangent in the same global
// (`NAME.ferment.shadow` for both), so the tangent overwrote the adjoint: at -O0 the gradient
// forward mode recomputes and the Hessian-vector product were wrong, reverse over forward too
// (17 of 21 checks failed on main c7d9b6d; -O1..-O3 passed, their stores and loads of the
// global folded). Found by ferment-fuzz --variant hvp, seed 24600054 (d/ds0 1.38 instead of
// 0.80). Forward mode's shadow globals are `NAME.ferment.tangent` now.
// Oracles: the gradient by hand, central differences of the hand gradient along v, and the
// Hessian's symmetry (forward-over-reverse along v and u).
#include "check.h"
#include <stdlib.h>

extern int enzyme_const, enzyme_dup, enzyme_dupnoneed, enzyme_out;
typedef struct {
  double d[2];
} Grad;
Grad __enzyme_autodiff(void *, ...);
Grad __enzyme_reverse(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_fwddiff(void *, ...);
double __enzyme_fwddiff_d(void *, ...) __asm__("__enzyme_fwddiff");
void __enzyme_autodiff_v(void *, ...) __asm__("__enzyme_autodiff");

enum { N = 3 };
static double gscratch, gsum;

// f(s0, s2) = sin(s0) s2 + c s2^2 + 0.5 gsum^2, gsum = sin(s0) + s2 (the adjoint of gsum flows
// through its shadow global: the load after the store), c = (0.5 * 2 - 0.3) * (0.5 - 0.3).
double f(double s0, double s2) {
  double *mm = (double *)malloc(N * sizeof(double));
  for (int q = 0; q < N; q++)
    mm[q] = s2 * (0.5 * q - 0.3);
  gscratch = sin(s0);
  gsum = gscratch + s2;
  double r = gscratch * s2 + mm[2] * mm[1] + 0.5 * gsum * gsum;
  free(mm);
  return r;
}

static const double C = 0.7 * 0.2;

static void grad_by_hand(const double *x, double *g) {
  double s0 = x[0], s2 = x[1], u = sin(s0) + s2;
  g[0] = cos(s0) * s2 + u * cos(s0);
  g[1] = sin(s0) + 2 * C * s2 + u;
}

__attribute__((noinline)) static void GRAD(const double *x, double *g) {
  Grad r = __enzyme_autodiff((void *)f, x[0], x[1]);
  g[0] = r.d[0];
  g[1] = r.d[1];
}

__attribute__((noinline)) static void GRAD_SPLIT(const double *x, double *g) {
  void *tape = __enzyme_augmentfwd((void *)f, x[0], x[1]);
  Grad r = __enzyme_reverse((void *)f, x[0], x[1], 1.0, tape);
  g[0] = r.d[0];
  g[1] = r.d[1];
}

// Reverse over forward: d/dx <grad f(x), v> = H v.
static double dir_v[2];
__attribute__((noinline)) static double dirder(const double *x) {
  return __enzyme_fwddiff_d((void *)f, enzyme_dup, x[0], dir_v[0], enzyme_dup, x[1], dir_v[1]);
}

int main(void) {
  const double x[2] = {0.7, 1.043}, dirs[2][2] = {{1.0, 0.5}, {-0.3, 0.8}};
  double hv[2][2];
  for (int k = 0; k < 2; k++) {
    const double *v = dirs[k];
    double g[2], h[2], gs[2], hs[2], gh[2], xp[2], xm[2], gp[2], gm[2], fd[2], hr[2] = {0, 0};
    const double e = 1e-6;
    grad_by_hand(x, gh);
    for (int i = 0; i < 2; i++) {
      xp[i] = x[i] + e * v[i];
      xm[i] = x[i] - e * v[i];
    }
    grad_by_hand(xp, gp);
    grad_by_hand(xm, gm);
    for (int i = 0; i < 2; i++)
      fd[i] = (gp[i] - gm[i]) / (2 * e);
    __enzyme_fwddiff((void *)GRAD, enzyme_dup, x, v, enzyme_dup, g, h);
    __enzyme_fwddiff((void *)GRAD_SPLIT, enzyme_dup, x, v, enzyme_dup, gs, hs);
    dir_v[0] = v[0];
    dir_v[1] = v[1];
    __enzyme_autodiff_v((void *)dirder, enzyme_dup, x, hr);
    for (int i = 0; i < 2; i++) {
      CHECK_CLOSE("forward-over-reverse: gradient vs by hand", g[i], gh[i], 1e-12, 1e-14);
      CHECK_CLOSE("forward-over-reverse: H v vs FD", h[i], fd[i], RTOL_FD, ATOL_FD);
      CHECK_CLOSE("forward-over-split: gradient vs by hand", gs[i], gh[i], 1e-12, 1e-14);
      CHECK_CLOSE("forward-over-split: H v vs FD", hs[i], fd[i], RTOL_FD, ATOL_FD);
      CHECK_CLOSE("reverse-over-forward: H v vs FD", hr[i], fd[i], RTOL_FD, ATOL_FD);
      hv[k][i] = h[i];
    }
  }
  // symmetry: <u, H v> = <v, H u>
  CHECK_CLOSE("forward-over-reverse: symmetry", dirs[1][0] * hv[0][0] + dirs[1][1] * hv[0][1],
              dirs[0][0] * hv[1][0] + dirs[0][1] * hv[1][1], 1e-12, 1e-14);
  return check_report();
}
