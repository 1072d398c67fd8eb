// GMM's centred data xc = x - mu_k, filled by a loop nest before a
// cblas_dgemm in a loop, where the adjoint of xc reaches only mu_k (one row
// of its column-major storage per mu entry, with the same factor along the
// row): at -O1 and above the reverse sweep rebuilds xc and takes the row sums
// of its adjoint with two matrix-vector products instead of the matrix
// product of the full adjoint. Every position of xc in a gemm (A or B,
// transposed or not, both layouts) through a run-time switch, and `scaled`,
// where a per-component factor th_k multiplies the centred data (its
// adjoint needs every element: no row sums). Sizes are run-time values
// (n = 7, d = 3, 3 components). Reverse gradients of mu, Q, theta against
// central finite differences, forward mode against the reverse gradient.
// LIBS: -lopenblas
#include <cblas.h>
#include <stdlib.h>
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { K = 3, NMAX = 7, DMAX = 3, NMU = K * DMAX, NQ = K * DMAX * DMAX, NZ = NMAX * DMAX };
static double X[NZ], Z[NZ], W[NMAX * NMAX];

static double sum_sq(int len, const double *y, double f) {
  double s = 0;
  for (int i = 0; i < len; i++) s += W[i] * y[i] * y[i] * f;
  return s;
}

// y = some product with xc (row-major n x d, or column-major d x n)
static void product(int mode, int n, int d, double al, const double *xc, const double *q,
                    double *y) {
  switch (mode) {
  case 0:  // row-major xc Q^T (xc as A)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, al, xc, d, q, d, 0.0, y, d);
    break;
  case 1:  // row-major xc^T Z (xc as A, transposed)
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, n, al, xc, d, Z, d, 0.0, y, d);
    break;
  case 2:  // column-major xc (d x n) Z (n x d)
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, d, d, n, al, xc, d, Z, n, 0.0, y, d);
    break;
  case 3:  // column-major xc^T (n x d) Q
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, n, d, d, al, xc, d, q, d, 0.0, y, n);
    break;
  case 4:  // column-major Q xc (xc as B)
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, d, n, d, al, q, d, xc, d, 0.0, y, d);
    break;
  default:  // column-major Z^T xc^T (d x n times n x d: xc as B, transposed)
    cblas_dgemm(CblasColMajor, CblasTrans, CblasTrans, d, d, n, al, Z, n, xc, d, 0.0, y, d);
    break;
  }
}

static int mode_rt;

__attribute__((noinline)) static double centred(int n, int d, int nk, int mode, const double *mu,
                                                const double *Q, const double *th) {
  double *xc = malloc(sizeof(double) * n * d), *y = calloc((size_t)n * n, sizeof(double)), s = 0;
  for (int k = 0; k < nk; k++) {
    for (int i = 0; i < n; i++)
      for (int j = 0; j < d; j++) xc[i * d + j] = X[i * d + j] - mu[k * d + j];
    product(mode, n, d, 0.5 + th[k], xc, Q + k * d * d, y);
    s += sum_sq(n * d, y, 1 + 0.1 * k);
  }
  free(xc);
  free(y);
  return s;
}

__attribute__((noinline)) static double scaled(int n, int d, int nk, int mode, const double *mu,
                                               const double *Q, const double *th) {
  double *xc = malloc(sizeof(double) * n * d), *y = calloc((size_t)n * n, sizeof(double)), s = 0;
  for (int k = 0; k < nk; k++) {
    for (int i = 0; i < n; i++)
      for (int j = 0; j < d; j++) xc[i * d + j] = th[k] * (X[i * d + j] - mu[k * d + j]);
    product(mode, n, d, 0.8, xc, Q + k * d * d, y);
    s += sum_sq(n * d, y, 1 + 0.1 * k);
  }
  free(xc);
  free(y);
  return s;
}

typedef double (*fn)(int n, int d, int nk, int mode, const double *mu, const double *Q,
                     const double *th);
static int n_rt = NMAX, d_rt = DMAX, k_rt = K;

static void check(const char *name, fn f, int mode) {
  double mu[NMU], Q[NQ], th[K], dmu[NMU] = {0}, dQ[NQ] = {0}, dth[K] = {0};
  double tmu[NMU], tQ[NQ], tth[K];
  for (int i = 0; i < NMU; i++) mu[i] = 0.3 * sin(1.3 * i + 0.2), tmu[i] = cos(0.7 * i);
  for (int i = 0; i < NQ; i++) Q[i] = 0.5 * cos(0.9 * i - 0.4), tQ[i] = sin(0.3 * i + 1.0);
  for (int i = 0; i < K; i++) th[i] = 0.8 + 0.3 * i, tth[i] = 0.5 - 0.4 * i;
  int n = n_rt, d = d_rt, nk = k_rt;
  __enzyme_autodiff((void *)f, enzyme_const, n, enzyme_const, d, enzyme_const, nk, enzyme_const,
                    mode, enzyme_dup, mu, dmu, enzyme_dup, Q, dQ, enzyme_dup, th, dth);
  char what[96];
  double h = 1e-6;
  snprintf(what, sizeof what, "%s mode %d dmu", name, mode);
  CHECK_ARRAY_FD(what, mu, NMU, dmu, h, f(n, d, nk, mode, mu, Q, th), RTOL_FD, ATOL_FD);
  snprintf(what, sizeof what, "%s mode %d dQ", name, mode);
  CHECK_ARRAY_FD(what, Q, NQ, dQ, h, f(n, d, nk, mode, mu, Q, th), RTOL_FD, ATOL_FD);
  snprintf(what, sizeof what, "%s mode %d dtheta", name, mode);
  CHECK_ARRAY_FD(what, th, K, dth, h, f(n, d, nk, mode, mu, Q, th), RTOL_FD, ATOL_FD);
  double t = __enzyme_fwddiff((void *)f, enzyme_const, n, enzyme_const, d, enzyme_const, nk,
                              enzyme_const, mode, enzyme_dup, mu, tmu, enzyme_dup, Q, tQ,
                              enzyme_dup, th, tth);
  double dot = dotv(dmu, tmu, NMU) + dotv(dQ, tQ, NQ) + dotv(dth, tth, K);
  snprintf(what, sizeof what, "%s mode %d forward vs reverse", name, mode);
  CHECK_CLOSE(what, t, dot, RTOL_D * 100, ATOL_D);
}

int main(void) {
  for (int i = 0; i < NZ; i++) X[i] = sin(0.7 * i + 0.1), Z[i] = cos(0.4 * i - 0.3);
  for (int i = 0; i < NMAX * NMAX; i++) W[i] = 1.0 + 0.1 * (i % 5);
  for (mode_rt = 0; mode_rt < 6; mode_rt++) {
    check("centred", centred, mode_rt);
    check("scaled", scaled, mode_rt);
  }
  return check_report();
}
