// A factorization that fails (LAPACK status info != 0) has no derivative:
// dpotrf of an indefinite matrix (LAPACKE and Fortran), dgetrf and dgesv of a
// singular matrix give NaN derivatives for every input entry the
// factorization reads (reverse) and a NaN tangent (forward), never a finite
// wrong value; the same calls on a regular matrix give finite derivatives
// (checked against finite differences by blas/cholesky.c and blas/lu.c).
// LIBS: -lopenblas -llapacke
#include <lapacke.h>
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { N = 3, LD = 3, LEN = 9 };

__attribute__((noinline)) static double chol(double *A) {
  double F[LEN], s = 0;
  for (int i = 0; i < LEN; i++) F[i] = A[i];
  LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', N, F, LD);
  for (int i = 0; i < LEN; i++) s += F[i] * F[i];
  return s;
}

__attribute__((noinline)) static double chol_fortran(double *A) {
  double F[LEN], s = 0;
  int n = N, ld = LD, info;
  for (int i = 0; i < LEN; i++) F[i] = A[i];
  dpotrf_("U", &n, F, &ld, &info, 1);
  for (int i = 0; i < LEN; i++) s += F[i] * F[i];
  return s;
}

__attribute__((noinline)) static double lu(double *A) {
  double F[LEN], s = 0;
  lapack_int ipiv[N];
  for (int i = 0; i < LEN; i++) F[i] = A[i];
  LAPACKE_dgetrf(LAPACK_ROW_MAJOR, N, N, F, LD, ipiv);
  for (int i = 0; i < LEN; i++) s += F[i] * F[i];
  return s;
}

__attribute__((noinline)) static double solve(double *A) {
  double F[LEN], X[N] = {1, 2, 3}, s = 0;
  int n = N, one = 1, ld = LD, info;
  lapack_int ipiv[N];
  for (int i = 0; i < LEN; i++) F[i] = A[i];
  dgesv_(&n, &one, F, &ld, ipiv, X, &n, &info);
  for (int i = 0; i < N; i++) s += X[i] * X[i];
  return s;
}

typedef double (*loss_fn)(double *);

#define WRAP(NAME)                                                                             \
  static void NAME##_rev(double *A, double *dA) {                                              \
    __enzyme_autodiff((void *)NAME, enzyme_dup, A, dA);                                        \
  }                                                                                            \
  static double NAME##_fwd(double *A, double *tA) {                                            \
    return __enzyme_fwddiff((void *)NAME, enzyme_dup, A, tA);                                  \
  }
WRAP(chol)
WRAP(chol_fortran)
WRAP(lu)
WRAP(solve)

// which entries the factorization reads: 'L' lower, 'U' upper, 'A' all
static int read_by(char part, int i) {
  int r = i % LD, c = i / LD;
  return part == 'A' || (part == 'L' ? r >= c : r <= c);
}

static void check(const char *name, void (*rev)(double *, double *),
                  double (*fwd)(double *, double *), double *A, char part, int fails) {
  double dA[LEN] = {0}, tA[LEN];
  for (int i = 0; i < LEN; i++) tA[i] = 1.0 + 0.1 * i;
  rev(A, dA);
  char what[128];
  for (int i = 0; i < LEN; i++) {
    if (!read_by(part, i)) continue;
    snprintf(what, sizeof what, "%s dA[%d] is %s", name, i, fails ? "NaN" : "finite");
    CHECK_TRUE(what, fails ? isnan(dA[i]) : isfinite(dA[i]));
  }
  double t = fwd(A, tA);
  snprintf(what, sizeof what, "%s tangent is %s", name, fails ? "NaN" : "finite");
  CHECK_TRUE(what, fails ? isnan(t) : isfinite(t));
}

int main(void) {
  // symmetric indefinite (eigenvalues of both signs): potrf stops with info > 0
  double indef[LEN] = {1, 2, 0, 2, 1, 0.5, 0, 0.5, 3};
  double spd[LEN] = {4, 1, 0, 1, 3, 0.5, 0, 0.5, 2};
  // rank 2: getrf finishes with a zero pivot, info > 0
  double sing[LEN] = {1, 2, 3, 2, 4, 6, 0.5, 1, 2};
  double reg[LEN] = {1, 2, 3, 2, 5, 6, 0.5, 1, 2};
  check("chol indefinite", chol_rev, chol_fwd, indef, 'L', 1);
  check("chol spd", chol_rev, chol_fwd, spd, 'L', 0);
  check("chol_fortran indefinite", chol_fortran_rev, chol_fortran_fwd, indef, 'U', 1);
  check("chol_fortran spd", chol_fortran_rev, chol_fortran_fwd, spd, 'U', 0);
  check("lu singular", lu_rev, lu_fwd, sing, 'A', 1);
  check("lu regular", lu_rev, lu_fwd, reg, 'A', 0);
  check("solve singular", solve_rev, solve_fwd, sing, 'A', 1);
  check("solve regular", solve_rev, solve_fwd, reg, 'A', 0);
  return check_report();
}
