// Batched modes at widths up to 16 that are not powers of two (11, 13, 16) through calls that
// stay calls (-ferment-no-inline: each callee gets a derivative of the same width), a loop with a
// runtime trip count and heap scratch memory: __enzyme_fwddiff, __enzyme_autodiff and split mode
// (__enzyme_augmentfwd / __enzyme_reverse, the input overwritten between the two calls), shadows
// by enzyme_dupv and enzyme_dupnoneedv, an enzyme_out scalar (N adjoints; enzyme_const in forward mode). A call counter shows
// that the primal runs once per batched call.
// Oracles, each lane on its own: central finite differences along the lane's direction (forward),
// the dot-product test <J^T s, v> = <s, J v> with J v from finite differences (reverse), and the
// scalar reverse mode with the lane's seed.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"
#include <stdlib.h>

extern int enzyme_width, enzyme_dup, enzyme_const, enzyme_dupv, enzyme_dupnoneedv, enzyme_out,
    enzyme_dupnoneed;
void __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_reverse_1(void *, ...) __asm__("__enzyme_reverse");
double __enzyme_autodiff_1(void *, ...) __asm__("__enzyme_autodiff");
typedef struct { double a[11]; } G11;
typedef struct { double a[13]; } G13;
typedef struct { double a[16]; } G16;
G11 __enzyme_reverse_11(void *, ...) __asm__("__enzyme_reverse");
G16 __enzyme_reverse_16(void *, ...) __asm__("__enzyme_reverse");
G13 __enzyme_autodiff_13(void *, ...) __asm__("__enzyme_autodiff");
G16 __enzyme_autodiff_16(void *, ...) __asm__("__enzyme_autodiff");

enum { M = 9, MAXW = 16 };
static int calls;

// A callee with a loop over a runtime count, reading two arrays and writing a third.
__attribute__((noinline)) static double mix(const double *a, const double *b, double *out, int n, double t) {
  double s = 0;
  for (int i = 0; i < n; i++) {
    out[i] = a[i] * cos(t * b[(i + 2) % n]) + exp(-0.3 * a[(i + 1) % n]);
    s += out[i] * b[i];
  }
  return s;
}

// y = F(x, t): heap scratch, a loop with a runtime bound, calls of mix.
__attribute__((noinline)) static void F(const double *x, double t, double *y, int n) {
  calls++;
  double *w = malloc(n * sizeof *w), *u = malloc(n * sizeof *u);
  for (int i = 0; i < n; i++) w[i] = sin(x[i]) + 0.5 * x[(i + 3) % n] * t;
  double s = mix(w, x, u, n, t);
  for (int i = 0; i < n; i++) y[i] = u[i] * s / (1.0 + w[i] * w[i]) + sqrt(x[i] * x[i] + t);
  free(w);
  free(u);
}

static double x0[M] = {0.3, -0.8, 1.1, 0.5, -1.4, 0.9, 0.2, -0.35, 0.75}, t0 = 0.8;

// J (v, dt) by central finite differences.
static void jv_fd(const double *v, double dt, double *jv) {
  double e = 1e-6, xp[M], xm[M], yp[M], ym[M];
  for (int i = 0; i < M; i++) { xp[i] = x0[i] + e * v[i]; xm[i] = x0[i] - e * v[i]; }
  F(xp, t0 + e * dt, yp, M);
  F(xm, t0 - e * dt, ym, M);
  for (int i = 0; i < M; i++) jv[i] = (yp[i] - ym[i]) / (2 * e);
}

static double dir(int k, int i) { return (i == k % M) ? 1.0 : 0.15 * ((3 * k + i) % 7 - 3); }
static double seed(int k, int i) { return cos(0.6 * i + 0.45 * k) + (i == (k + 4) % M); }

static double seeds[MAXW][M], grads[MAXW][M], tx[MAXW][M], ty[MAXW][M];

// Lane k of a reverse result: gx = J_x^T s, gt = J_t^T s.
static void check_rev(const char *what, int w, int k, const double *gx, double gt) {
  char msg[160];
  double s[M], sg[M] = {0}, sy[M];
  for (int i = 0; i < M; i++) s[i] = seed(k, i);
  for (int m = 0; m < 2; m++) {
    double v[M], jv[M], lhs = 0, rhs = 0, dt = 0.4 - 0.3 * m;
    for (int i = 0; i < M; i++) v[i] = dir(k + 5 * m, i);
    jv_fd(v, dt, jv);
    for (int i = 0; i < M; i++) { lhs += gx[i] * v[i]; rhs += s[i] * jv[i]; }
    lhs += gt * dt;
    snprintf(msg, sizeof msg, "%s width %d lane %d dot-product test %d", what, w, k, m);
    CHECK_CLOSE(msg, lhs, rhs, RTOL_FD, ATOL_FD);
  }
  double st = __enzyme_autodiff_1((void *)F, enzyme_dup, x0, sg, enzyme_out, t0, enzyme_dupnoneed,
                                  sy, s, enzyme_const, M);
  snprintf(msg, sizeof msg, "%s width %d lane %d d/dt vs scalar reverse", what, w, k);
  CHECK_CLOSE(msg, gt, st, RTOL_D, ATOL_D);
  for (int i = 0; i < M; i++) {
    snprintf(msg, sizeof msg, "%s width %d lane %d grad[%d] vs scalar reverse", what, w, k, i);
    CHECK_CLOSE(msg, gx[i], sg[i], RTOL_D, ATOL_D);
  }
}

static void set(int w) {
  for (int k = 0; k < w; k++)
    for (int i = 0; i < M; i++) {
      seeds[k][i] = seed(k, i);
      grads[k][i] = 0;
      tx[k][i] = dir(k, i);
      ty[k][i] = 0;
    }
}

#define FWD(W)                                                                                     \
  do {                                                                                             \
    double y[M];                                                                                   \
    set(W);                                                                                        \
    calls = 0;                                                                                     \
    __enzyme_fwddiff((void *)F, enzyme_width, W, enzyme_dupv, sizeof tx[0], x0, tx[0],            \
                     enzyme_const, t0, enzyme_dupnoneedv,                                          \
                     sizeof ty[0], y, ty[0], enzyme_const, M);                                     \
    CHECK_TRUE("forward: the primal runs once", calls == 1);                                       \
    for (int k = 0; k < W; k++) {                                                                  \
      double jv[M];                                                                                \
      jv_fd(tx[k], 0, jv);                                                                         \
      for (int i = 0; i < M; i++) {                                                                \
        char msg[96];                                                                              \
        snprintf(msg, sizeof msg, "forward width %d lane %d ty[%d] vs FD", W, k, i);               \
        CHECK_CLOSE(msg, ty[k][i], jv[i], RTOL_FD, ATOL_FD);                                       \
      }                                                                                            \
    }                                                                                              \
  } while (0)

#define COMBINED(W)                                                                                \
  do {                                                                                             \
    double y[M];                                                                                   \
    set(W);                                                                                        \
    calls = 0;                                                                                     \
    G##W g = __enzyme_autodiff_##W((void *)F, enzyme_width, W, enzyme_dupv, sizeof grads[0], x0,  \
                                   grads[0], enzyme_out, t0, enzyme_dupnoneedv, sizeof seeds[0],  \
                                   y, seeds[0], enzyme_const, M);                                  \
    CHECK_TRUE("reverse: the primal runs once", calls == 1);                                       \
    for (int k = 0; k < W; k++) check_rev("combined", W, k, grads[k], g.a[k]);                     \
  } while (0)

#define SPLIT(W)                                                                                   \
  do {                                                                                             \
    double y[M], x[M];                                                                             \
    set(W);                                                                                        \
    for (int i = 0; i < M; i++) x[i] = x0[i];                                                      \
    calls = 0;                                                                                     \
    void *tape = __enzyme_augmentfwd((void *)F, enzyme_width, W, enzyme_dupv, sizeof grads[0], x, \
                                     grads[0], enzyme_out, t0, enzyme_dupv, sizeof seeds[0], y,   \
                                     seeds[0], enzyme_const, M);                                   \
    CHECK_TRUE("split: the primal runs once", calls == 1);                                         \
    for (int i = 0; i < M; i++) x[i] = 50.0 + i; /* overwritten before the reverse sweep */        \
    G##W g = __enzyme_reverse_##W((void *)F, enzyme_width, W, enzyme_dupv, sizeof grads[0], x,    \
                                  grads[0], enzyme_out, t0, enzyme_dupv, sizeof seeds[0], y,      \
                                  seeds[0], enzyme_const, M, tape);                                \
    for (int k = 0; k < W; k++) check_rev("split", W, k, grads[k], g.a[k]);                        \
  } while (0)

int main(void) {
  FWD(11);
  FWD(13);
  FWD(16);
  COMBINED(13);
  COMBINED(16);
  SPLIT(11);
  SPLIT(16);
  return check_report();
}
