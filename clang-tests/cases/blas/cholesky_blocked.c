// The blocked reverse of the Cholesky factorization: LAPACKE_dpotrf on a
// 150 x 150 matrix (three column blocks of 64, the last partial), lower and
// upper, column- and row-major, in a loss that reads the whole factor (its
// log-diagonal and weighted squares) and a solve with it. The reverse
// gradient against central finite differences on 40 entries spread over the
// blocks, and against the forward derivative (the blocked tangent) in the
// dot product with a dense direction; the forward derivative against finite
// differences along that direction.
// LIBS: -lopenblas -llapacke
#include <lapacke.h>
#include <stdlib.h>
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { N = 150, LD = 151, LEN = N * LD };
static double W[LEN];

#define LOSS(NAME, LAY, UP)                                                                    \
  __attribute__((noinline)) static double NAME(double *A) {                                    \
    double *F = malloc(sizeof(double) * LEN), x[N], s = 0;                                     \
    for (int i = 0; i < LEN; i++) F[i] = A[i];                                                 \
    for (int i = 0; i < N; i++) x[i] = 1.0 + 0.01 * i;                                         \
    LAPACKE_dpotrf(LAY, UP, N, F, LD);                                                         \
    LAPACKE_dpotrs(LAY, UP, N, 1, F, LD, x, 1 + (LAY == LAPACK_COL_MAJOR) * (N - 1));          \
    for (int i = 0; i < LEN; i++) s += W[i] * F[i] * F[i];                                     \
    for (int i = 0; i < N; i++) s += log(F[i * (LD + 1)]) + 0.5 * x[i] * x[i];                 \
    free(F);                                                                                   \
    return s;                                                                                  \
  }                                                                                            \
  static void NAME##_rev(double *A, double *dA) {                                              \
    __enzyme_autodiff((void *)NAME, enzyme_dup, A, dA);                                        \
  }                                                                                            \
  static double NAME##_fwd(double *A, double *tA) {                                            \
    return __enzyme_fwddiff((void *)NAME, enzyme_dup, A, tA);                                  \
  }

LOSS(col_lower, LAPACK_COL_MAJOR, 'L')
LOSS(col_upper, LAPACK_COL_MAJOR, 'U')
LOSS(row_lower, LAPACK_ROW_MAJOR, 'L')

static double *A, *dA, *tA;

static void check(const char *name, double (*f)(double *), void (*rev)(double *, double *),
                  double (*fwd)(double *, double *)) {
  for (int i = 0; i < LEN; i++) {
    // symmetric positive definite in both layouts: a dominant diagonal
    int r = i % LD, c = i / LD;
    A[i] = r == c ? 4.0 + 0.01 * r : 0.02 * sin(0.5 * (r + c) + 0.01 * r * c);
    dA[i] = 0;
    tA[i] = sin(1.3 * i);
  }
  rev(A, dA);
  char what[128];
  for (int k = 0; k < 40; k++) {
    // entries in every block pair, on and off the diagonal
    int r = (37 * k + 5 * (k / 8)) % N, c = (k % 2) ? (r * 7 + k) % N : r;
    int i = r + c * LD;
    snprintf(what, sizeof what, "%s dA[%d,%d]", name, r, c);
    CHECK_CLOSE(what, dA[i], FD_AT(A[i], 1e-5, f(A)), 1e-5, 1e-6);
  }
  double dot = 0;
  for (int i = 0; i < LEN; i++) dot += dA[i] * tA[i];
  double t = fwd(A, tA), h = 1e-6;
  for (int i = 0; i < LEN; i++) A[i] += h * tA[i];
  double p = f(A);
  for (int i = 0; i < LEN; i++) A[i] -= 2 * h * tA[i];
  double m = f(A);
  snprintf(what, sizeof what, "%s forward", name);
  CHECK_CLOSE(what, t, (p - m) / (2 * h), 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s forward vs reverse", name);
  CHECK_CLOSE(what, t, dot, 1e-9, 1e-9);
}

#define CHECK(NAME) check(#NAME, NAME, NAME##_rev, NAME##_fwd)

int main(void) {
  A = malloc(sizeof(double) * LEN);
  dA = malloc(sizeof(double) * LEN);
  tA = malloc(sizeof(double) * LEN);
  for (int i = 0; i < LEN; i++) W[i] = 0.01 * (1.0 + 0.1 * (i % 7));
  CHECK(col_lower);
  CHECK(col_upper);
  CHECK(row_lower);
  return check_report();
}
