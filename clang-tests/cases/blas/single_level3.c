// Single precision for the routines blas/single.c leaves out: cblas_strmv,
// cblas_strsv (row-major, unit diagonal, stride -2), cblas_strmm,
// cblas_strsm (left and right, transposed), cblas_ssymv, cblas_ssymm,
// cblas_ssyrk (row- and column-major, upper and lower), cblas_sger,
// cblas_sscal, cblas_scopy, cblas_sasum, and the Fortran strsm_ and ssyrk_
// from C. Sizes 5 x 3, leading dimension 7. The float reverse gradient is
// checked against central finite differences of the same function written
// with the double-precision routines (an oracle with no float rounding),
// the float forward derivative against the float reverse gradient.
// LIBS: -lopenblas
#include <cblas.h>

void strsm_(const char *, const char *, const char *, const char *, const int *, const int *,
            const float *, const float *, const int *, float *, const int *);
void dtrsm_(const char *, const char *, const char *, const char *, const int *, const int *,
            const double *, const double *, const int *, double *, const int *);
void ssyrk_(const char *, const char *, const int *, const int *, const float *, const float *,
            const int *, const float *, float *, const int *);
void dsyrk_(const char *, const char *, const int *, const int *, const double *, const double *,
            const int *, const double *, double *, const int *);

enum { N = 5, M = 3, LD = 7, LEN = 40 };
static double W[LEN];
#include "single_check.h"

#define DEFINE(T, S)                                                                           \
  static T loss_##S(const T *F, const T *X) {                                                  \
    T s = 0;                                                                                   \
    for (int i = 0; i < LEN; i++) s += (T)W[i] * (F[i] * F[i] + (T)0.3 * X[i] * X[i]);         \
    return s;                                                                                  \
  }                                                                                            \
  /* F: a well-conditioned triangle (diagonal 2 + ...) */                                      \
  static void tri_##S(T *F, const T *A) {                                                      \
    for (int i = 0; i < LEN; i++) F[i] = (T)0.3 * A[i];                                        \
    for (int i = 0; i < N; i++) F[i * LD + i] = 2 + (T)0.1 * A[i];                             \
  }                                                                                            \
  __attribute__((noinline)) static T trv_##S(T *A, T *B) {                                     \
    T F[LEN], X[LEN];                                                                          \
    tri_##S(F, A);                                                                             \
    for (int i = 0; i < LEN; i++) X[i] = B[i];                                                 \
    cblas_##S##trmv(CblasRowMajor, CblasUpper, CblasTrans, CblasNonUnit, N, F, LD, X, -2);     \
    cblas_##S##trsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasUnit, N, F, LD, X, -2);      \
    cblas_##S##trsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, N, F, LD, X + 1, 1);  \
    return loss_##S(F, X);                                                                     \
  }                                                                                            \
  __attribute__((noinline)) static T trm_##S(T *A, T *B) {                                     \
    T F[LEN], X[LEN], Y[LEN];                                                                  \
    tri_##S(F, A);                                                                             \
    for (int i = 0; i < LEN; i++) X[i] = B[i], Y[i] = B[(i + 7) % LEN];                        \
    T al = (T)0.5 + A[3];                                                                      \
    cblas_##S##trmm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, N, M, al,  \
                    F, LD, X, LD);                                                             \
    cblas_##S##trsm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, M, N,   \
                    al, F, LD, Y, LD);                                                         \
    cblas_##S##trsm(CblasColMajor, CblasLeft, CblasUpper, CblasTrans, CblasUnit, N, M, 1, F,   \
                    LD, X, LD);                                                                \
    for (int i = 0; i < LEN; i++) X[i] += Y[i];                                                \
    return loss_##S(F, X);                                                                     \
  }                                                                                            \
  __attribute__((noinline)) static T sym_##S(T *A, T *B) {                                     \
    T F[LEN], X[LEN], C[LEN];                                                                  \
    for (int i = 0; i < LEN; i++) F[i] = A[i], X[i] = B[i], C[i] = (T)0.2 * A[(i + 3) % LEN];  \
    T al = (T)0.7 + B[2], be = (T)0.4 - A[5];                                                  \
    cblas_##S##symv(CblasRowMajor, CblasLower, N, al, F, LD, B, 2, be, X, -1);                 \
    cblas_##S##symm(CblasColMajor, CblasRight, CblasUpper, M, N, al, F, LD, B, LD, be, C, LD); \
    cblas_##S##symm(CblasRowMajor, CblasLeft, CblasLower, N, M, be, A, LD, B, LD, al, X, LD);  \
    cblas_##S##syrk(CblasRowMajor, CblasUpper, CblasTrans, M, N, al, B, LD, be, F, LD);        \
    cblas_##S##syrk(CblasColMajor, CblasLower, CblasNoTrans, N, M, be, A, LD, al, C, LD);      \
    for (int i = 0; i < LEN; i++) X[i] += C[i];                                                \
    return loss_##S(F, X);                                                                     \
  }                                                                                            \
  __attribute__((noinline)) static T level1_##S(T *A, T *B) {                                  \
    T F[LEN], X[LEN];                                                                          \
    for (int i = 0; i < LEN; i++) F[i] = A[i], X[i] = B[i];                                    \
    cblas_##S##ger(CblasRowMajor, M, N, (T)0.6 + A[1], A, 2, B + 3, -1, F, LD);                \
    cblas_##S##scal(N, B[0], X, 3);                                                            \
    cblas_##S##copy(M, F, -2, X + 1, 3);                                                       \
    return loss_##S(F, X) + cblas_##S##asum(N, X, 2) * A[2];                                   \
  }                                                                                            \
  __attribute__((noinline)) static T fortran_##S(T *A, T *B) {                                 \
    T F[LEN], X[LEN], C[LEN];                                                                  \
    int n = N, m = M, ld = LD;                                                                 \
    tri_##S(F, A);                                                                             \
    for (int i = 0; i < LEN; i++) X[i] = B[i], C[i] = (T)0.1 * B[(i + 2) % LEN];               \
    T al = (T)0.5 + A[4], be = (T)0.3 + B[6];                                                  \
    S##trsm_("L", "L", "T", "N", &n, &m, &al, F, &ld, X, &ld);                                 \
    S##syrk_("U", "N", &n, &m, &al, X, &ld, &be, C, &ld);                                      \
    for (int i = 0; i < LEN; i++) X[i] += C[i];                                                \
    return loss_##S(F, X);                                                                     \
  }

DEFINE(float, s)
DEFINE(double, d)

WRAP(trv)
WRAP(trm)
WRAP(sym)
WRAP(level1)
WRAP(fortran)

static void inputs(float *A, float *B) {
  for (int i = 0; i < LEN; i++) {
    A[i] = (float)(0.4 * sin(1.1 * i + 0.3));
    B[i] = (float)(0.5 * cos(0.7 * i - 0.3));
  }
}

int main(void) {
  for (int i = 0; i < LEN; i++) W[i] = 1.0 + 0.1 * (i % 7);
  check("trv", trv_rev, trv_fwd, trv_d);
  check("trm", trm_rev, trm_fwd, trm_d);
  check("sym", sym_rev, sym_fwd, sym_d);
  check("level1", level1_rev, level1_fwd, level1_d);
  check("fortran", fortran_rev, fortran_fwd, fortran_d);
  return check_report();
}
