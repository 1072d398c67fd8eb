// LAPACK Cholesky: LAPACKE_dpotrf followed by LAPACKE_dpotrs (column- and
// row-major, lower and upper), and the Fortran dpotrf_/dpotrs_ from C (with the
// hidden character length lapack.h declares), in a
// loss that reads the factor (its log-diagonal: a log-determinant) and the
// solution. Reverse gradients against central finite differences over every
// entry (potrf reads one triangle: the other gets only what the loss reads of
// it directly), forward mode against finite differences and the reverse
// gradient.
// LIBS: -lopenblas -llapacke
#include <lapacke.h>
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { N = 4, R = 3, LD = 5, LEN = 25 };
static double W[LEN];

typedef double (*loss_fn)(double *A, double *B);

static double loss_of(const double *F, const double *X) {
  double s = 0;
  for (int i = 0; i < LEN; i++) s += W[i] * (F[i] * F[i] + X[i] * X[i]);
  for (int i = 0; i < N; i++) s += log(F[i * (LD + 1)]);
  return s;
}

#define LOSS(NAME, CALLS)                                                                      \
  __attribute__((noinline)) static double NAME(double *A, double *B) {                         \
    double F[LEN], X[LEN];                                                                     \
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

LOSS(col_lower, LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', N, F, LD);
     LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', N, R, F, LD, X, LD))
LOSS(col_upper, LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', N, F, LD);
     LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'U', N, R, F, LD, X, LD))
LOSS(row_lower, LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', N, F, LD);
     LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', N, R, F, LD, X, LD))
LOSS(row_upper, LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', N, F, LD);
     LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', N, 2, F, LD, X, LD))
LOSS(fortran_upper, int n = N; int r = R; int ld = LD; int info;
     dpotrf_("U", &n, F, &ld, &info, 1); dpotrs_("U", &n, &r, F, &ld, X, &ld, &info, 1))
LOSS(fortran_lower, int n = N; int r = 2; int ld = LD; int info;
     dpotrf_("L", &n, F, &ld, &info, 1); dpotrs_("L", &n, &r, F, &ld, X, &ld, &info, 1))

typedef void (*rev_fn)(double *, double *, double *, double *);
typedef double (*fwd_fn)(double *, double *, double *, double *);

static void check(const char *name, loss_fn f, rev_fn rev, fwd_fn fwd) {
  double A[LEN], B[LEN], dA[LEN] = {0}, dB[LEN] = {0}, tA[LEN], tB[LEN];
  for (int i = 0; i < LEN; i++) {
    // symmetric positive definite in both layouts: a dominant diagonal
    int r = i % LD, c = i / LD;
    A[i] = r == c ? 3.0 + 0.2 * r : 0.3 * sin(0.5 * (r + c) + 0.1 * r * c);
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
  CHECK(col_lower);
  CHECK(col_upper);
  CHECK(row_lower);
  CHECK(row_upper);
  CHECK(fortran_upper);
  CHECK(fortran_lower);
  return check_report();
}
