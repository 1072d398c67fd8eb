// Batched mode (enzyme_width 3) through BLAS calls: a function of a vector
// x writing a vector y through cblas_dgemm (row-major, B transposed),
// cblas_dgemv, cblas_dtrsv and cblas_ddot on buffers built from x. Batched
// reverse mode (N seeds of y, N gradients of x) and batched forward mode (N
// tangents of x, N tangents of y). Oracles, per lane: central finite
// differences along the lane's direction (forward), the dot-product test
// <g_k, v> = <s_k, J v> with J v from finite differences (reverse), and
// forward against reverse.
// LIBS: -lopenblas
#include <cblas.h>
#include "check.h"

extern int enzyme_width, enzyme_dupv;
void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

enum { NX = 24, NY = 7, W = 3, LD = 5 };

__attribute__((noinline)) static void F(const double *x, double *y) {
  double A[20], B[20], C[16], v[4], T[20];
  for (int i = 0; i < 20; i++) {
    A[i] = x[i];
    B[i] = sin(x[(i + 3) % NX]);
    T[i] = 0.2 * x[(i + 7) % NX];
  }
  for (int i = 0; i < 4; i++) T[i * LD + i] = 2 + x[20 + i] * x[20 + i];
  for (int i = 0; i < 16; i++) C[i] = 0;
  // C(3x3, ld 5 rows-major view inside 16) = A(3x4) B(3x4)^T
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 3, 3, 4, 0.8, A, LD, B, LD, 0.0, C, LD);
  for (int i = 0; i < 4; i++) v[i] = x[20 + i];
  // v(4) = 1.5 A(3x4)^T C(row 0) + 0.5 v
  cblas_dgemv(CblasRowMajor, CblasTrans, 3, 4, 1.5, A, LD, C, 1, 0.5, v, 1);
  cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, 4, T, LD, v, 1);
  for (int i = 0; i < 4; i++) y[i] = v[i];
  double d = cblas_ddot(4, v, 1, x + 1, 2);
  y[4] = d;
  y[5] = C[0] * C[LD + 1];
  y[6] = C[2 * LD + 2] + d * v[3];
}

static double x0[NX];

static void jv_fd(const double *v, double *jv) {
  double e = 1e-6, xp[NX], xm[NX], yp[NY], ym[NY];
  for (int i = 0; i < NX; i++) xp[i] = x0[i] + e * v[i], xm[i] = x0[i] - e * v[i];
  F(xp, yp);
  F(xm, ym);
  for (int i = 0; i < NY; i++) jv[i] = (yp[i] - ym[i]) / (2 * e);
}

int main(void) {
  for (int i = 0; i < NX; i++) x0[i] = 0.5 * sin(0.9 * i + 0.2);
  double seeds[W][NY], keep[W][NY], grads[W][NX] = {{0}}, y[NY];
  double tx[W][NX], ty[W][NY], yf[NY];
  for (int k = 0; k < W; k++) {
    for (int i = 0; i < NY; i++) keep[k][i] = seeds[k][i] = cos(0.7 * i + 1.3 * k);
    for (int i = 0; i < NX; i++) tx[k][i] = sin(0.4 * i - 0.9 * k + 0.1);
  }
  __enzyme_autodiff((void *)F, enzyme_width, W, enzyme_dupv, sizeof grads[0], x0, grads[0],
                    enzyme_dupv, sizeof seeds[0], y, seeds[0]);
  __enzyme_fwddiff((void *)F, enzyme_width, W, enzyme_dupv, sizeof tx[0], x0, tx[0], enzyme_dupv,
                   sizeof ty[0], yf, ty[0]);
  char what[96];
  for (int k = 0; k < W; k++) {
    double jv[NY], lhs = 0, rhs = 0, fwd = 0;
    jv_fd(tx[k], jv);
    for (int i = 0; i < NY; i++) {
      snprintf(what, sizeof what, "lane %d forward ty[%d]", k, i);
      CHECK_CLOSE(what, ty[k][i], jv[i], RTOL_FD, ATOL_FD);
      rhs += keep[k][i] * jv[i];
      fwd += keep[k][i] * ty[k][i];
    }
    for (int i = 0; i < NX; i++) lhs += grads[k][i] * tx[k][i];
    snprintf(what, sizeof what, "lane %d reverse dot-product test", k);
    CHECK_CLOSE(what, lhs, rhs, RTOL_FD, ATOL_FD);
    snprintf(what, sizeof what, "lane %d forward vs reverse", k);
    CHECK_CLOSE(what, lhs, fwd, RTOL_D, ATOL_D);
    // every coordinate of the gradient: the lane's seed times FD columns
    for (int j = 0; j < NX; j++) {
      double e[NX] = {0}, col[NY], want = 0;
      e[j] = 1;
      jv_fd(e, col);
      for (int i = 0; i < NY; i++) want += keep[k][i] * col[i];
      snprintf(what, sizeof what, "lane %d grad[%d]", k, j);
      CHECK_CLOSE(what, grads[k][j], want, RTOL_FD, ATOL_FD);
    }
  }
  return check_report();
}
