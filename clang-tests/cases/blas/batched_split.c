// Batched split mode through BLAS calls: __enzyme_augmentfwd / __enzyme_reverse with
// enzyme_width 3 and 5 (one tape for all lanes) of a function calling cblas_dgemm, cblas_dgemv
// (with an active by-value alpha, an enzyme_out argument: N adjoints), cblas_dtrsv and
// cblas_ddot (an active returned value) on buffers built from x in a loop with a runtime trip
// count; the caller overwrites x between the two calls. Also batched combined reverse mode of
// the same function (one forward sweep for all lanes). Oracles, per lane: the dot-product test
// <g_k, v> = <s_k, J v> + g_alpha,k * dalpha with J v from central finite differences, each
// gradient coordinate against finite differences, and the scalar split mode with the lane's seed.
// LIBS: -lopenblas
#include <cblas.h>
#include "check.h"

extern int enzyme_width, enzyme_dupv, enzyme_dup, enzyme_out, enzyme_const;
void *__enzyme_augmentfwd(void *, ...);
typedef struct { double a[3]; } G3;
typedef struct { double a[5]; } G5;
G3 __enzyme_reverse_3(void *, ...) __asm__("__enzyme_reverse");
G5 __enzyme_reverse_5(void *, ...) __asm__("__enzyme_reverse");
G3 __enzyme_autodiff_3(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_reverse_1(void *, ...) __asm__("__enzyme_reverse");

enum { NX = 24, NY = 7, LD = 5 };

__attribute__((noinline)) static void F(const double *x, double alpha, double *y, int nx) {
  double A[20], B[20], C[16], v[4], T[20];
  for (int i = 0; i < 20; i++) {
    A[i] = x[i % nx];
    B[i] = sin(x[(i + 3) % nx]);
    T[i] = 0.2 * x[(i + 7) % nx];
  }
  for (int i = 0; i < 4; i++) T[i * LD + i] = 2 + x[20 + i] * x[20 + i];
  for (int i = 0; i < 16; i++) C[i] = 0;
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 3, 3, 4, 0.8, A, LD, B, LD, 0.0, C, LD);
  for (int i = 0; i < 4; i++) v[i] = x[20 + i];
  cblas_dgemv(CblasRowMajor, CblasTrans, 3, 4, alpha, A, LD, C, 1, 0.5, v, 1);
  cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, 4, T, LD, v, 1);
  for (int i = 0; i < 4; i++) y[i] = v[i];
  double d = cblas_ddot(4, v, 1, x + 1, 2);
  y[4] = d;
  y[5] = C[0] * C[LD + 1] * alpha;
  y[6] = C[2 * LD + 2] + d * v[3];
}

static double x0[NX], alpha0 = 1.3;

// J (v, dalpha) by central finite differences.
static void jv_fd(const double *v, double da, double *jv) {
  double e = 1e-6, xp[NX], xm[NX], yp[NY], ym[NY];
  for (int i = 0; i < NX; i++) xp[i] = x0[i] + e * v[i], xm[i] = x0[i] - e * v[i];
  F(xp, alpha0 + e * da, yp, NX);
  F(xm, alpha0 - e * da, ym, NX);
  for (int i = 0; i < NY; i++) jv[i] = (yp[i] - ym[i]) / (2 * e);
}

// Lane k of a batched gradient (gx, ga) for seed s, checked against the oracles.
static void check_lane(const char *mode, int k, const double *s, const double *gx, double ga) {
  char what[128];
  double v[NX], jv[NY], lhs = 0, rhs = 0;
  for (int i = 0; i < NX; i++) v[i] = sin(0.4 * i - 0.9 * k + 0.1);
  double dalpha = 0.6 - 0.3 * k;
  jv_fd(v, dalpha, jv);
  for (int i = 0; i < NY; i++) rhs += s[i] * jv[i];
  for (int i = 0; i < NX; i++) lhs += gx[i] * v[i];
  lhs += ga * dalpha;
  snprintf(what, sizeof what, "%s lane %d dot-product test", mode, k);
  CHECK_CLOSE(what, lhs, rhs, RTOL_FD, ATOL_FD);
  for (int j = 0; j < NX; j++) {
    double e[NX] = {0}, col[NY], want = 0;
    e[j] = 1;
    jv_fd(e, 0, col);
    for (int i = 0; i < NY; i++) want += s[i] * col[i];
    snprintf(what, sizeof what, "%s lane %d grad x[%d]", mode, k, j);
    CHECK_CLOSE(what, gx[j], want, RTOL_FD, ATOL_FD);
  }
  double e0[NX] = {0}, col[NY], want = 0;
  jv_fd(e0, 1, col);
  for (int i = 0; i < NY; i++) want += s[i] * col[i];
  snprintf(what, sizeof what, "%s lane %d grad alpha", mode, k);
  CHECK_CLOSE(what, ga, want, RTOL_FD, ATOL_FD);
  // The scalar split mode with the lane's seed.
  double xs[NX], ys[NY], dxs[NX] = {0}, ws[NY];
  for (int i = 0; i < NX; i++) xs[i] = x0[i];
  for (int i = 0; i < NY; i++) ws[i] = s[i];
  void *tp = __enzyme_augmentfwd((void *)F, enzyme_dup, xs, dxs, enzyme_out, alpha0, enzyme_dup, ys,
                                 ws, enzyme_const, NX);
  double da = __enzyme_reverse_1((void *)F, enzyme_dup, xs, dxs, enzyme_out, alpha0, enzyme_dup, ys,
                                 ws, enzyme_const, NX, tp);
  snprintf(what, sizeof what, "%s lane %d grad alpha vs scalar split", mode, k);
  CHECK_CLOSE(what, ga, da, RTOL_D, ATOL_D);
  for (int i = 0; i < NX; i++) {
    snprintf(what, sizeof what, "%s lane %d grad x[%d] vs scalar split", mode, k, i);
    CHECK_CLOSE(what, gx[i], dxs[i], RTOL_D, ATOL_D);
  }
}

int main(void) {
  for (int i = 0; i < NX; i++) x0[i] = 0.5 * sin(0.9 * i + 0.2);
  double x[NX], y[NY];
  // Width 3, split.
  {
    double seeds[3][NY], keep[3][NY], grads[3][NX] = {{0}};
    for (int k = 0; k < 3; k++)
      for (int i = 0; i < NY; i++) keep[k][i] = seeds[k][i] = cos(0.7 * i + 1.3 * k);
    for (int i = 0; i < NX; i++) x[i] = x0[i];
    void *tape = __enzyme_augmentfwd((void *)F, enzyme_width, 3, enzyme_dupv, sizeof grads[0], x,
                                     grads[0], enzyme_out, alpha0, enzyme_dupv, sizeof seeds[0], y,
                                     seeds[0], enzyme_const, NX);
    double yw[NY];
    F(x0, alpha0, yw, NX);
    for (int i = 0; i < NY; i++) CHECK_CLOSE("primal (width 3 split)", y[i], yw[i], RTOL_D, ATOL_D);
    for (int i = 0; i < NX; i++) x[i] = 100.0; // overwritten before the reverse sweep
    G3 g = __enzyme_reverse_3((void *)F, enzyme_width, 3, enzyme_dupv, sizeof grads[0], x, grads[0],
                              enzyme_out, alpha0, enzyme_dupv, sizeof seeds[0], y, seeds[0],
                              enzyme_const, NX, tape);
    for (int k = 0; k < 3; k++) check_lane("split w3", k, keep[k], grads[k], g.a[k]);
  }
  // Width 5, split.
  {
    double seeds[5][NY], keep[5][NY], grads[5][NX] = {{0}};
    for (int k = 0; k < 5; k++)
      for (int i = 0; i < NY; i++) keep[k][i] = seeds[k][i] = cos(0.3 * i - 0.8 * k + 0.5);
    for (int i = 0; i < NX; i++) x[i] = x0[i];
    void *tape = __enzyme_augmentfwd((void *)F, enzyme_width, 5, enzyme_dupv, sizeof grads[0], x,
                                     grads[0], enzyme_out, alpha0, enzyme_dupv, sizeof seeds[0], y,
                                     seeds[0], enzyme_const, NX);
    for (int i = 0; i < NX; i++) x[i] = -3.0;
    G5 g = __enzyme_reverse_5((void *)F, enzyme_width, 5, enzyme_dupv, sizeof grads[0], x, grads[0],
                              enzyme_out, alpha0, enzyme_dupv, sizeof seeds[0], y, seeds[0],
                              enzyme_const, NX, tape);
    for (int k = 0; k < 5; k++) check_lane("split w5", k, keep[k], grads[k], g.a[k]);
  }
  // Width 3, combined.
  {
    double seeds[3][NY], keep[3][NY], grads[3][NX] = {{0}};
    for (int k = 0; k < 3; k++)
      for (int i = 0; i < NY; i++) keep[k][i] = seeds[k][i] = sin(0.5 * i + 0.7 * k + 0.2);
    for (int i = 0; i < NX; i++) x[i] = x0[i];
    G3 g = __enzyme_autodiff_3((void *)F, enzyme_width, 3, enzyme_dupv, sizeof grads[0], x,
                               grads[0], enzyme_out, alpha0, enzyme_dupv, sizeof seeds[0], y,
                               seeds[0], enzyme_const, NX);
    for (int k = 0; k < 3; k++) check_lane("combined w3", k, keep[k], grads[k], g.a[k]);
  }
  return check_report();
}
