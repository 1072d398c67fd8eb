// Batched reverse mode with calls that stay calls (-ferment-no-inline, recursion): the callees
// get width-N augmented forward and reverse functions (one primal run, N adjoint lanes), with
// active scalar arguments and float results passed between them, loops of runtime trip count and
// heap memory inside the callees. Widths 2, 3, 5 and 8.
// Oracles, each lane on its own: the scalar reverse mode run once per seed, and the dot-product
// test against central finite differences.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"
#include <stdlib.h>

extern int enzyme_width, enzyme_dup, enzyme_const, enzyme_dupv, enzyme_dupnoneed, enzyme_dupnoneedv,
    enzyme_out;
void __enzyme_autodiff(void *, ...);

enum { M = 6, MAXW = 8 };
static int calls;

// A float result from a loop over heap memory, with an active scalar argument.
__attribute__((noinline)) static double weigh(const double *x, double t, int n) {
  double *w = malloc(n * sizeof *w);
  for (int i = 0; i < n; i++) w[i] = sin(t * x[i]) + x[i] * x[i];
  double s = 0;
  for (int i = 0; i < n; i++) s += w[i] * w[(i + 1) % n];
  free(w);
  return s;
}

// Recursion: a product down to depth d, through memory and a scalar.
__attribute__((noinline)) static double chain(const double *x, double acc, int d) {
  if (d == 0) return acc;
  return chain(x + 1, acc * cos(x[0]) + x[0], d - 1);
}

// Writes into memory of the caller.
__attribute__((noinline)) static void spread(double v, double *y, int n) {
  for (int i = 0; i < n; i++) y[i] += v * (i + 1);
}

static void F(const double *x, double *y, int n) {
  calls++;
  for (int i = 0; i < n; i++) y[i] = 0;
  double t = weigh(x, x[0], n);
  double c = chain(x, x[1], n - 1);
  spread(t * c, y, n);
  for (int i = 0; i < n; i++) y[i] += exp(-x[i]) * c;
}

static double x0[M] = {0.4, -0.7, 0.9, 0.2, -1.1, 0.6};
static double seeds[MAXW][M], grads[MAXW][M];

static void F_fd(const double *v, double *dy) {
  double e = 1e-6, xp[M], xm[M], yp[M], ym[M];
  for (int i = 0; i < M; i++) { xp[i] = x0[i] + e * v[i]; xm[i] = x0[i] - e * v[i]; }
  F(xp, yp, M);
  F(xm, ym, M);
  for (int i = 0; i < M; i++) dy[i] = (yp[i] - ym[i]) / (2 * e);
}

static void check_lane(int width, int k, const double *s, const double *g) {
  char msg[160];
  double sy[M], ds[M], sg[M] = {0};
  for (int i = 0; i < M; i++) ds[i] = s[i];
  __enzyme_autodiff((void *)F, enzyme_dup, x0, sg, enzyme_dupnoneed, sy, ds, enzyme_const, M);
  for (int i = 0; i < M; i++) {
    snprintf(msg, sizeof msg, "width %d lane %d grad[%d] vs scalar reverse", width, k, i);
    CHECK_CLOSE(msg, g[i], sg[i], RTOL_D, ATOL_D);
  }
  for (int m = 0; m < 2; m++) {
    double v[M], fd[M], lhs = 0, rhs = 0;
    for (int i = 0; i < M; i++) v[i] = (i == (k + m) % M) ? 1.0 : 0.1 * ((i + m) % 3 - 1);
    F_fd(v, fd);
    for (int i = 0; i < M; i++) { lhs += g[i] * v[i]; rhs += s[i] * fd[i]; }
    snprintf(msg, sizeof msg, "width %d lane %d dot-product test %d", width, k, m);
    CHECK_CLOSE(msg, lhs, rhs, RTOL_FD, ATOL_FD);
  }
}

#define BATCH(W)                                                                                     \
  do {                                                                                               \
    double y[M], s_copy[MAXW][M];                                                                    \
    for (int k = 0; k < W; k++)                                                                      \
      for (int i = 0; i < M; i++) {                                                                  \
        s_copy[k][i] = seeds[k][i] = (i == k % M) ? 1.0 : 0.25 * ((k + i) % 3 - 1);                  \
        grads[k][i] = 0;                                                                             \
      }                                                                                              \
    calls = 0;                                                                                       \
    __enzyme_autodiff((void *)F, enzyme_width, W, enzyme_dupv, sizeof grads[0], x0, grads[0],       \
                      enzyme_dupnoneedv, sizeof seeds[0], y, seeds[0], enzyme_const, M);             \
    CHECK_TRUE("the primal runs once", calls == 1);                                                  \
    for (int k = 0; k < W; k++) check_lane(W, k, s_copy[k], grads[k]);                               \
  } while (0)

// A scalar function calling the recursion with enzyme_out arguments: N adjoints per argument.
static void G(double a, double b, const double *x, double *out) {
  out[0] = chain(x, a * b, 3);
  out[1] = weigh(x, b, 4) * a;
}
typedef struct { double a[3], b[3]; } G3;
G3 __enzyme_autodiff_g3(void *, ...);
typedef struct { double a, b; } G1;
G1 __enzyme_autodiff_g1(void *, ...);

int main(void) {
  BATCH(2);
  BATCH(3);
  BATCH(5);
  BATCH(8);

  double a = 0.8, b = -0.6, out[2], s[3][2] = {{1, 0}, {0, 1}, {0.5, -2}}, dx[3][M] = {{0}};
  G3 g = __enzyme_autodiff_g3((void *)G, enzyme_width, 3, enzyme_out, a, enzyme_out, b, enzyme_dupv,
                              sizeof dx[0], x0, dx[0], enzyme_dupnoneedv, sizeof s[0], out, s[0]);
  double s2[3][2] = {{1, 0}, {0, 1}, {0.5, -2}};
  for (int k = 0; k < 3; k++) {
    double o[2], ds[2] = {s2[k][0], s2[k][1]}, sx[M] = {0};
    G1 r = __enzyme_autodiff_g1((void *)G, enzyme_out, a, enzyme_out, b, enzyme_dup, x0, sx,
                                enzyme_dupnoneed, o, ds);
    CHECK_CLOSE("G d/da lane vs scalar reverse", g.a[k], r.a, RTOL_D, ATOL_D);
    CHECK_CLOSE("G d/db lane vs scalar reverse", g.b[k], r.b, RTOL_D, ATOL_D);
    for (int i = 0; i < M; i++) CHECK_CLOSE("G d/dx lane vs scalar reverse", dx[k][i], sx[i], RTOL_D, ATOL_D);
    // Finite differences in a and b.
    double e = 1e-6, op[2], om[2];
    G(a + e, b, x0, op);
    G(a - e, b, x0, om);
    double fa = (s2[k][0] * (op[0] - om[0]) + s2[k][1] * (op[1] - om[1])) / (2 * e);
    G(a, b + e, x0, op);
    G(a, b - e, x0, om);
    double fb = (s2[k][0] * (op[0] - om[0]) + s2[k][1] * (op[1] - om[1])) / (2 * e);
    CHECK_CLOSE("G d/da vs finite differences", g.a[k], fa, RTOL_FD, ATOL_FD);
    CHECK_CLOSE("G d/db vs finite differences", g.b[k], fb, RTOL_FD, ATOL_FD);
  }
  return check_report();
}
