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
#include "check.h"

float __enzyme_autodiff(void *, ...);
float __enzyme_fwddiff(void *, ...);

enum { N = 4, R = 3, LD = 5, LEN = 25 };
static double W[LEN];

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

#define WRAP(NAME)                                                                             \
  static void NAME##_rev(float *A, float *dA, float *B, float *dB) {                           \
    __enzyme_autodiff((void *)NAME##_s, enzyme_dup, A, dA, enzyme_dup, B, dB);                 \
  }                                                                                            \
  static float NAME##_fwd(float *A, float *tA, float *B, float *tB) {                          \
    return __enzyme_fwddiff((void *)NAME##_s, enzyme_dup, A, tA, enzyme_dup, B, tB);           \
  }
WRAP(lu_col)
WRAP(lu_row_t)
WRAP(gesv_row)
WRAP(fortran)
WRAP(chol_row)
WRAP(sym)

typedef void (*rev_fn)(float *, float *, float *, float *);
typedef float (*fwd_fn)(float *, float *, float *, float *);
typedef double (*dloss)(double *, double *);

static void check(const char *name, rev_fn rev, fwd_fn fwd, dloss g) {
  float A[LEN], B[LEN], dA[LEN] = {0}, dB[LEN] = {0}, tA[LEN], tB[LEN];
  double Ad[LEN], Bd[LEN];
  for (int i = 0; i < LEN; i++) {
    int r = i % LD, c = i / LD;
    A[i] = (r + 2 * c) % 4 == 1 ? 2.5f + 0.3f * r - 0.2f * c
                                : (float)(0.4 * sin(1.1 * r + 0.7 * c + 0.3));
    B[i] = (float)cos(0.7 * i - 0.3);
    tA[i] = (float)sin(1.3 * i);
    tB[i] = (float)cos(0.4 * i + 0.2);
    Ad[i] = A[i], Bd[i] = B[i];
  }
  rev(A, dA, B, dB);
  char what[128];
  double h = 1e-6, dot = 0;
  snprintf(what, sizeof what, "%s dA", name);
  CHECK_ARRAY_FD(what, Ad, LEN, dA, h, g(Ad, Bd), 2e-3, 2e-3);
  snprintf(what, sizeof what, "%s dB", name);
  CHECK_ARRAY_FD(what, Bd, LEN, dB, h, g(Ad, Bd), 2e-3, 2e-3);
  for (int i = 0; i < LEN; i++) dot += (double)dA[i] * tA[i];
  for (int i = 0; i < LEN; i++) dot += (double)dB[i] * tB[i];
  float t = fwd(A, tA, B, tB);
  snprintf(what, sizeof what, "%s forward vs reverse", name);
  CHECK_CLOSE(what, t, dot, 1e-3, 1e-3);
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
