// LAPACK LU with partial pivoting: LAPACKE_dgetrf followed by LAPACKE_dgetrs
// (no transpose and transposed), LAPACKE_dgesv, in column- and row-major
// layouts, and the Fortran dgetrf_/dgetrs_/dgesv_ from C, in a loss that
// reads the factors (so the factorization's own adjoint is exercised) and
// the solution (5 x 5, 3 right-hand sides, leading dimension 6). The matrix
// has its largest entries on a permutation, so rows are
// interchanged. Reverse gradients against central finite differences over
// every entry of both buffers, forward mode against finite differences and
// the reverse gradient (dot product).
// LIBS: -lopenblas -llapacke
#include <lapacke.h>
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { N = 5, R = 3, LD = 6, LEN = 36 };
static double W[LEN];

typedef double (*loss_fn)(double *A, double *B);

static double loss_of(const double *F, const double *X) {
  double s = 0;
  for (int i = 0; i < LEN; i++) s += W[i] * (F[i] * F[i] + 0.3 * X[i] * X[i]);
  return s;
}

#define LOSS(NAME, CALLS)                                                                      \
  __attribute__((noinline)) static double NAME(double *A, double *B) {                         \
    double F[LEN], X[LEN];                                                                     \
    lapack_int ipiv[N];                                                                        \
    for (int i = 0; i < LEN; i++) F[i] = 1.5 * A[i], X[i] = 1.5 * B[i];                        \
    CALLS;                                                                                     \
    return loss_of(F, X);                                                                      \
  }                                                                                            \
  static void NAME##_rev(double *A, double *dA, double *B, double *dB) {                       \
    __enzyme_autodiff((void *)NAME, enzyme_dup, A, dA, enzyme_dup, B, dB);                     \
  }                                                                                            \
  static double NAME##_fwd(double *A, double *tA, double *B, double *tB) {                     \
    return __enzyme_fwddiff((void *)NAME, enzyme_dup, A, tA, enzyme_dup, B, tB);               \
  }

LOSS(col_n, LAPACKE_dgetrf(LAPACK_COL_MAJOR, N, N, F, LD, ipiv);
     LAPACKE_dgetrs(LAPACK_COL_MAJOR, 'N', N, R, F, LD, ipiv, X, LD))
LOSS(col_t, LAPACKE_dgetrf(LAPACK_COL_MAJOR, N, N, F, LD, ipiv);
     LAPACKE_dgetrs(LAPACK_COL_MAJOR, 'T', N, R, F, LD, ipiv, X, LD))
LOSS(row_n, LAPACKE_dgetrf(LAPACK_ROW_MAJOR, N, N, F, LD, ipiv);
     LAPACKE_dgetrs(LAPACK_ROW_MAJOR, 'N', N, R, F, LD, ipiv, X, LD))
LOSS(row_t, LAPACKE_dgetrf(LAPACK_ROW_MAJOR, N, N, F, LD, ipiv);
     LAPACKE_dgetrs(LAPACK_ROW_MAJOR, 'T', N, 2, F, LD, ipiv, X, LD))
LOSS(col_gesv, LAPACKE_dgesv(LAPACK_COL_MAJOR, N, R, F, LD, ipiv, X, LD))
LOSS(row_gesv, LAPACKE_dgesv(LAPACK_ROW_MAJOR, N, R, F, LD, ipiv, X, LD))
// the pivots overwritten and used again: the reverse sweep needs a copy
LOSS(pivots_overwritten, double Y[LEN]; for (int i = 0; i < LEN; i++) Y[i] = X[i];
     LAPACKE_dgetrf(LAPACK_COL_MAJOR, N, N, F, LD, ipiv);
     LAPACKE_dgetrs(LAPACK_COL_MAJOR, 'N', N, R, F, LD, ipiv, X, LD);
     for (int i = 0; i < N; i++) ipiv[i] = i + 1;
     LAPACKE_dgetrs(LAPACK_COL_MAJOR, 'T', N, R, F, LD, ipiv, Y, LD);
     for (int i = 0; i < LEN; i++) X[i] += 0.5 * Y[i])
// the factors unused after the solve (their adjoint is 0: the factorization's
// own adjoint is skipped)
LOSS(solution_only, double G[LEN]; for (int i = 0; i < LEN; i++) G[i] = F[i];
     LAPACKE_dgesv(LAPACK_COL_MAJOR, N, R, G, LD, ipiv, X, LD))
// the factors overwritten after the solve: the reverse sweep needs copies
LOSS(overwritten, LAPACKE_dgetrf(LAPACK_COL_MAJOR, N, N, F, LD, ipiv);
     LAPACKE_dgetrs(LAPACK_COL_MAJOR, 'N', N, R, F, LD, ipiv, X, LD);
     for (int i = 0; i < LEN; i++) F[i] = 0.5 * F[i] + X[i];
     for (int i = 0; i < N; i++) ipiv[i] = 1)
LOSS(fortran, int n = N; int r = R; int ld = LD; int info;
     dgetrf_(&n, &n, F, &ld, ipiv, &info); dgetrs_("T", &n, &r, F, &ld, ipiv, X, &ld, &info, 1))
LOSS(fortran_gesv, int n = N; int r = R; int ld = LD; int info;
     dgesv_(&n, &r, F, &ld, ipiv, X, &ld, &info))

typedef void (*rev_fn)(double *, double *, double *, double *);
typedef double (*fwd_fn)(double *, double *, double *, double *);

static void check(const char *name, loss_fn f, rev_fn rev, fwd_fn fwd) {
  double A[LEN], B[LEN], dA[LEN] = {0}, dB[LEN] = {0}, tA[LEN], tB[LEN];
  for (int i = 0; i < LEN; i++) {
    // well conditioned, pivots far from ties, largest entries off the diagonal
    int r = i % LD, c = i / LD;
    A[i] = r == (2 * c + 1) % N ? 2.5 + 0.3 * r - 0.2 * c : 0.4 * sin(1.1 * r + 0.7 * c + 0.3);
    B[i] = cos(0.7 * i - 0.3);
    tA[i] = sin(1.3 * i);
    tB[i] = cos(0.4 * i + 0.2);
  }
  rev(A, dA, B, dB);
  char what[128];
  snprintf(what, sizeof what, "%s dA", name);
  CHECK_ARRAY_FD(what, A, LEN, dA, 1e-6, f(A, B), 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s dB", name);
  CHECK_ARRAY_FD(what, B, LEN, dB, 1e-6, f(A, B), 1e-6, 1e-6);
  double t = fwd(A, tA, B, tB), h = 1e-6;
  double Ap[LEN], Am[LEN], Bp[LEN], Bm[LEN];
  shift_along(Ap, A, tA, h, LEN), shift_along(Am, A, tA, -h, LEN);
  shift_along(Bp, B, tB, h, LEN), shift_along(Bm, B, tB, -h, LEN);
  double dot = dotv(dA, tA, LEN) + dotv(dB, tB, LEN);
  snprintf(what, sizeof what, "%s forward", name);
  CHECK_CLOSE(what, t, (f(Ap, Bp) - f(Am, Bm)) / (2 * h), 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s forward vs reverse", name);
  CHECK_CLOSE(what, t, dot, 1e-10, 1e-10);
}

#define CHECK(NAME) check(#NAME, NAME, NAME##_rev, NAME##_fwd)

int main(void) {
  for (int i = 0; i < LEN; i++) W[i] = 1.0 + 0.1 * (i % 7);
  // the test is only meaningful if the factorization interchanges rows
  {
    double F[LEN];
    lapack_int ipiv[N], swaps = 0;
    for (int i = 0; i < LEN; i++) {
      int r = i % LD, c = i / LD;
      F[i] = r == (2 * c + 1) % N ? 2.5 + 0.3 * r - 0.2 * c : 0.4 * sin(1.1 * r + 0.7 * c + 0.3);
    }
    LAPACKE_dgetrf(LAPACK_COL_MAJOR, N, N, F, LD, ipiv);
    for (int i = 0; i < N; i++) swaps += ipiv[i] != i + 1;
    CHECK_TRUE("rows are interchanged", swaps > 0);
  }
  CHECK(col_n);
  CHECK(col_t);
  CHECK(row_n);
  CHECK(row_t);
  CHECK(col_gesv);
  CHECK(row_gesv);
  CHECK(solution_only);
  CHECK(pivots_overwritten);
  CHECK(overwritten);
  CHECK(fortran);
  CHECK(fortran_gesv);
  return check_report();
}
