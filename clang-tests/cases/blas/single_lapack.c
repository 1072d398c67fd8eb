// Single-precision LAPACK: LAPACKE_sgetrf/sgetrs (column-major, row-major
// transposed), LAPACKE_sgesv (row-major), the Fortran sgetrf_/sgetrs_ from C,
// LAPACKE_spotrf/spotrs (row-major, upper), and the BLAS symmetric updates
// cblas_ssyr, cblas_ssyr2 (row-major), cblas_ssyr2k (transposed). The float reverse gradient is
// checked against central finite differences of the same function written
// with the double-precision routines (an oracle with no float rounding),
// the float forward derivative against the float reverse gradient.
// LIBS: -lopenblas -llapacke
#include <cblas.h>
#include <lapacke.h>

enum { N = 4, R = 3, LD = 5, LEN = 25 };
static double W[LEN];
#include "single_check.h"

#define DEFINE(T, S)                                                                           \
  static T loss_##S(const T *F, const T *X) {                                                  \
    T s = 0;                                                                                   \
    for (int i = 0; i < LEN; i++) s += (T)W[i] * (F[i] * F[i] + (T)0.3 * X[i] * X[i]);         \
    return s;                                                                                  \
  }                                                                                            \
  __attribute__((noinline)) static T lu_col_##S(T *A, T *B) {                                  \
    T F[LEN], X[LEN];                                                                          \
    lapack_int ipiv[N];                                                                        \
    for (int i = 0; i < LEN; i++) F[i] = A[i], X[i] = B[i];                                    \
    LAPACKE_##S##getrf(LAPACK_COL_MAJOR, N, N, F, LD, ipiv);                                   \
    LAPACKE_##S##getrs(LAPACK_COL_MAJOR, 'N', N, R, F, LD, ipiv, X, LD);                       \
    return loss_##S(F, X);                                                                     \
  }                                                                                            \
  __attribute__((noinline)) static T lu_row_t_##S(T *A, T *B) {                                \
    T F[LEN], X[LEN];                                                                          \
    lapack_int ipiv[N];                                                                        \
    for (int i = 0; i < LEN; i++) F[i] = A[i], X[i] = B[i];                                    \
    LAPACKE_##S##getrf(LAPACK_ROW_MAJOR, N, N, F, LD, ipiv);                                   \
    LAPACKE_##S##getrs(LAPACK_ROW_MAJOR, 'T', N, R, F, LD, ipiv, X, LD);                       \
    return loss_##S(F, X);                                                                     \
  }                                                                                            \
  __attribute__((noinline)) static T gesv_row_##S(T *A, T *B) {                                \
    T F[LEN], X[LEN];                                                                          \
    lapack_int ipiv[N];                                                                        \
    for (int i = 0; i < LEN; i++) F[i] = A[i], X[i] = B[i];                                    \
    LAPACKE_##S##gesv(LAPACK_ROW_MAJOR, N, R, F, LD, ipiv, X, LD);                             \
    return loss_##S(F, X);                                                                     \
  }                                                                                            \
  __attribute__((noinline)) static T fortran_##S(T *A, T *B) {                                 \
    T F[LEN], X[LEN];                                                                          \
    lapack_int ipiv[N], n = N, r = R, ld = LD, info;                                           \
    for (int i = 0; i < LEN; i++) F[i] = A[i], X[i] = B[i];                                    \
    S##getrf_(&n, &n, F, &ld, ipiv, &info);                                                    \
    S##getrs_("N", &n, &r, F, &ld, ipiv, X, &ld, &info, 1);                                    \
    return loss_##S(F, X);                                                                     \
  }                                                                                            \
  __attribute__((noinline)) static T chol_row_##S(T *A, T *B) {                                \
    T F[LEN], X[LEN];                                                                          \
    for (int i = 0; i < LEN; i++) F[i] = A[i], X[i] = B[i];                                    \
    for (int i = 0; i < N; i++) F[i * (LD + 1)] += 4;                                          \
    LAPACKE_##S##potrf(LAPACK_ROW_MAJOR, 'U', N, F, LD);                                       \
    LAPACKE_##S##potrs(LAPACK_ROW_MAJOR, 'U', N, R, F, LD, X, LD);                             \
    return loss_##S(F, X);                                                                     \
  }                                                                                            \
  __attribute__((noinline)) static T sym_##S(T *A, T *B) {                                     \
    T F[LEN], X[LEN];                                                                          \
    for (int i = 0; i < LEN; i++) F[i] = A[i], X[i] = B[i];                                    \
    cblas_##S##syr(CblasColMajor, CblasUpper, N, 0.7f, A, 1, X, LD);                           \
    cblas_##S##syr2(CblasRowMajor, CblasLower, N, -0.4f, A + 5, 2, B + 1, 1, X, LD);           \
    cblas_##S##syr2k(CblasColMajor, CblasLower, CblasTrans, N, 2, 0.6f, A, LD, B + 5, LD,      \
                     0.8f, X, LD);                                                             \
    return loss_##S(F, X);                                                                     \
  }

DEFINE(float, s)
DEFINE(double, d)

WRAP(lu_col)
WRAP(lu_row_t)
WRAP(gesv_row)
WRAP(fortran)
WRAP(chol_row)
WRAP(sym)

static void inputs(float *A, float *B) {
  for (int i = 0; i < LEN; i++) {
    int r = i % LD, c = i / LD;
    A[i] = (r + 2 * c) % 4 == 1 ? 2.5f + 0.3f * r - 0.2f * c
                                : (float)(0.4 * sin(1.1 * r + 0.7 * c + 0.3));
    B[i] = (float)cos(0.7 * i - 0.3);
  }
}

int main(void) {
  for (int i = 0; i < LEN; i++) W[i] = 1.0 + 0.1 * (i % 7);
  check("lu_col", lu_col_rev, lu_col_fwd, lu_col_d);
  check("lu_row_t", lu_row_t_rev, lu_row_t_fwd, lu_row_t_d);
  check("gesv_row", gesv_row_rev, gesv_row_fwd, gesv_row_d);
  check("fortran", fortran_rev, fortran_fwd, fortran_d);
  check("chol_row", chol_row_rev, chol_row_fwd, chol_row_d);
  check("sym", sym_rev, sym_fwd, sym_d);
  return check_report();
}
