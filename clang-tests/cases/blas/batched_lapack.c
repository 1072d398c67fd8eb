// Batched mode (enzyme_width 3) through LAPACK and level-3 BLAS calls: a
// function of a vector x writing a vector y through cblas_dsyrk (an SPD
// matrix), LAPACKE_dpotrf/dpotrs (row-major, lower), LAPACKE_dgetrf/dgetrs
// (column-major, pivoting rows, transposed solve), LAPACKE_dsyev ('V', upper),
// cblas_dtrsm, cblas_dtrmm and cblas_dsymm on buffers built from x (odd sizes:
// 3 x 3 and 5 x 5 matrices, 3 right-hand sides, leading dimension 6). Batched
// reverse mode (N seeds of y, N gradients of x) and batched forward mode (N
// tangents of x, N tangents of y). Oracles, per lane: central finite
// differences along the lane's direction (forward), every coordinate of the
// lane's gradient against the seed times finite-difference columns, and
// forward against reverse.
// LIBS: -lopenblas -llapacke
#include <cblas.h>
#include <lapacke.h>
#include "check.h"

extern int enzyme_width, enzyme_dupv;
void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

enum { NX = 30, NY = 11, W = 3, LD = 6, N = 5, R = 3 };

__attribute__((noinline)) static void F(const double *x, double *y) {
  double A[LD * LD], S[LD * LD], B[LD * LD], G[LD * LD], E[LD * LD], w[N];
  lapack_int ipiv[N];
  for (int i = 0; i < LD * LD; i++) {
    A[i] = x[i % NX];
    B[i] = sin(x[(i + 4) % NX]);
    S[i] = 0;
    E[i] = 0.1 * x[(i + 9) % NX];
  }
  for (int i = 0; i < N; i++) S[i * LD + i] = 3 + x[i] * x[i];
  // S(5x5, lower) += 0.5 A(5x3) A^T: symmetric positive definite
  cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, N, R, 0.5, A, LD, 1.0, S, LD);
  for (int i = 0; i < LD * LD; i++) G[i] = S[i];
  LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', N, G, LD);
  LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', N, R, G, LD, B, LD);  // B(5x3) = S^-1 B
  // trmm/trsm with the Cholesky factor: B = 0.7 L^T B, then B = B(3x5 view) L^-1 (col-major)
  cblas_dtrmm(CblasRowMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, N, R, 0.7, G, LD, B,
              LD);
  cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, R, N, 1.0, G, LD,
              B, LD);
  // LU of a matrix whose pivots are rows (i + 2) % 5 (entries 3 there, < 1 elsewhere)
  double M[LD * LD];
  for (int i = 0; i < LD * LD; i++) M[i] = 0.2 * x[(i + 2) % NX];
  for (int j = 0; j < N; j++) M[j * LD + (j + 2) % N] += 3;
  double Z[LD * LD];
  for (int i = 0; i < LD * LD; i++) Z[i] = B[i];
  LAPACKE_dgetrf(LAPACK_COL_MAJOR, N, N, M, LD, ipiv);
  LAPACKE_dgetrs(LAPACK_COL_MAJOR, 'T', N, R, M, LD, ipiv, Z, LD);  // Z(5x3) = M^-T Z
  // E(3x3 upper) = symmetric part, eigen-decomposed; C = 1.3 E(sym) Z(3 rows) + 0.4 C
  for (int i = 0; i < 3; i++) E[i * LD + i] += 2.0 * i;
  double C[LD * LD];
  for (int i = 0; i < LD * LD; i++) C[i] = 0.3 * x[(i + 5) % NX];
  cblas_dsymm(CblasRowMajor, CblasLeft, CblasUpper, 3, R, 1.3, E, LD, Z, LD, 0.4, C, LD);
  LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', 3, E, LD, w);
  for (int i = 0; i < 3; i++) y[i] = w[i];
  // eigenvectors enter squared (their sign is arbitrary)
  y[3] = E[1] * E[1] + 0.5 * E[LD + 2] * E[LD + 2];
  y[4] = E[2 * LD] * E[2 * LD] - E[LD + 1] * E[LD + 1];
  for (int i = 0; i < 3; i++) y[5 + i] = C[i * LD + i] + C[i];
  y[8] = Z[0] * Z[LD + 1] + Z[4];
  y[9] = B[2] + B[LD + 3] * B[7];
  y[10] = G[3 * LD + 1] + G[4 * LD + 4];
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
  double yp[NY];
  F(x0, yp);
  for (int i = 0; i < NY; i++)
    CHECK_CLOSE("primal of the forward derivative", yf[i], yp[i], RTOL_D, ATOL_D);
  char what[96];
  for (int k = 0; k < W; k++) {
    double jv[NY], lhs = 0, fwd = 0;
    jv_fd(tx[k], jv);
    for (int i = 0; i < NY; i++) {
      snprintf(what, sizeof what, "lane %d forward ty[%d]", k, i);
      CHECK_CLOSE(what, ty[k][i], jv[i], RTOL_FD, ATOL_FD);
      fwd += keep[k][i] * ty[k][i];
    }
    for (int i = 0; i < NX; i++) lhs += grads[k][i] * tx[k][i];
    snprintf(what, sizeof what, "lane %d forward vs reverse", k);
    CHECK_CLOSE(what, lhs, fwd, 1e-9, 1e-11);
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
