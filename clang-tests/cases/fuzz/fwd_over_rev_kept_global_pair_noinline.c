// CFLAGS: -mllvm -ferment-no-inline
// Forward mode over reverse mode (combined, split, and batched reverse with two lanes) with
// calls kept (`-ferment-no-inline`) of a kernel whose two helpers talk through a global: `put`
// writes `gacc` from the inputs, `get` reads it. The gradient calls get's reverse function,
// which adds adjoints into the adjoint global `gacc.ferment.shadow`, then put's, which reads
// them back. Forward mode over the gradient never carried ferment's own globals across its kept
// calls, so the derivative of put's reverse function counted the adjoint global as constant
// memory and dropped its tangent: H v wrong at -O0..-O3 in every mode on main cb56a83 (48 of 104
// checks), found while fixing `fwd_over_split_adjoint_global_noinline.c`. Adjoint globals are
// now carried like a user's globals (`carried_global`).
// Oracles: central differences of f for the gradient, central differences of the reverse
// gradient for H v.
#include "check.h"

extern int enzyme_const, enzyme_dup, enzyme_out, enzyme_width, enzyme_dupv;
double __enzyme_autodiff(void *, ...);
void __enzyme_autodiff_v(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_reverse(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_fwddiff(void *, ...);

enum { N = 3, NX = N + 1 };
static double gacc[2];

__attribute__((noinline)) static void put(const double *p, double s) {
  gacc[0] = p[0] * s + sin(p[1]);
  gacc[1] = p[2] * p[0];
}
__attribute__((noinline)) static double get(const double *p) {
  return gacc[0] * gacc[0] * p[2] + gacc[1] * gacc[0];
}

double f(const double *p, double s) {
  put(p, s);
  return get(p) + p[0] * s * s;
}

static double f_at(const double *x) { return f(x, x[N]); }

static void f_out(const double *x, double *y) { y[0] = f(x, x[N]); }

// Batched reverse mode (two lanes seeded 1 and -2, each with adjoint globals of its own),
// combined into the gradient so that forward mode over it reads both lanes.
__attribute__((noinline)) static void GRAD_LANES(const double *x, double *g) {
  double xc[NX], dx[2][NX], y[1], dy[2] = {1.0, -2.0};
  for (int i = 0; i < NX; i++) {
    xc[i] = x[i];
    dx[0][i] = dx[1][i] = 0;
  }
  __enzyme_autodiff_v((void *)f_out, enzyme_width, 2, enzyme_dupv, sizeof dx[0], xc, dx[0],
                      enzyme_dupv, sizeof(double), y, dy);
  for (int i = 0; i < NX; i++)
    g[i] = (dx[0][i] - dx[1][i]) / 3;
}

__attribute__((noinline)) static void GRAD(const double *x, double *g) {
  double p[N] = {x[0], x[1], x[2]}, dp[N] = {0, 0, 0};
  g[N] = __enzyme_autodiff((void *)f, enzyme_dup, p, dp, x[N]);
  for (int i = 0; i < N; i++)
    g[i] = dp[i];
}

__attribute__((noinline)) static void GRAD_SPLIT(const double *x, double *g) {
  double p[N] = {x[0], x[1], x[2]}, dp[N] = {0, 0, 0};
  void *tape = __enzyme_augmentfwd((void *)f, enzyme_dup, p, dp, x[N]);
  g[N] = __enzyme_reverse((void *)f, enzyme_dup, p, dp, x[N], 1.0, tape);
  for (int i = 0; i < N; i++)
    g[i] = dp[i];
}

int main(void) {
  const double pts[2][NX] = {{0.3, -0.7, 0.9, 0.6}, {-0.4, 0.5, 0.2, -0.8}};
  const double dirs[2][NX] = {{0.2, -0.1, 0.3, 0.5}, {-0.4, 0.25, 0.1, -0.3}};
  const double e = 1e-6;
  for (int k = 0; k < 2; k++) {
    const double *x = pts[k];
    double gr[NX], xx[NX];
    GRAD(x, gr);
    for (int i = 0; i < NX; i++) {
      memcpy(xx, x, sizeof xx);
      xx[i] = x[i] + e;
      double fp = f_at(xx);
      xx[i] = x[i] - e;
      double fm = f_at(xx);
      CHECK_CLOSE_AT("reverse gradient vs FD of f", k, gr[i], (fp - fm) / (2 * e), RTOL_FD, ATOL_FD);
    }
    for (int d = 0; d < 2; d++) {
      const double *v = dirs[d];
      double g0[NX], h[NX], gs[NX], hs[NX], xp[NX], xm[NX], gp[NX], gm[NX];
      for (int i = 0; i < NX; i++) {
        xp[i] = x[i] + e * v[i];
        xm[i] = x[i] - e * v[i];
      }
      GRAD(xp, gp);
      GRAD(xm, gm);
      __enzyme_fwddiff((void *)GRAD, enzyme_dup, x, v, enzyme_dup, g0, h);
      __enzyme_fwddiff((void *)GRAD_SPLIT, enzyme_dup, x, v, enzyme_dup, gs, hs);
      double gl[NX], hl[NX];
      __enzyme_fwddiff((void *)GRAD_LANES, enzyme_dup, x, v, enzyme_dup, gl, hl);
      for (int i = 0; i < NX; i++) {
        double fd = (gp[i] - gm[i]) / (2 * e);
        CHECK_CLOSE_AT("forward-over-reverse: gradient vs reverse", k, g0[i], gr[i], 1e-12, 1e-14);
        CHECK_CLOSE_AT("forward-over-reverse: H v vs FD of the gradient", k, h[i], fd, RTOL_FD, ATOL_FD);
        CHECK_CLOSE_AT("forward-over-split: gradient vs reverse", k, gs[i], gr[i], 1e-12, 1e-14);
        CHECK_CLOSE_AT("forward-over-split: H v vs FD of the gradient", k, hs[i], fd, RTOL_FD, ATOL_FD);
        CHECK_CLOSE_AT("forward-over-batched-reverse: gradient vs reverse", k, gl[i], gr[i], 1e-12,
                       1e-14);
        CHECK_CLOSE_AT("forward-over-batched-reverse: H v vs FD of the gradient", k, hl[i], fd, RTOL_FD,
                       ATOL_FD);
      }
    }
  }
  return check_report();
}
