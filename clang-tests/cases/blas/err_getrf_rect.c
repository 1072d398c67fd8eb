// An LU factorization of a non-square matrix has no rule: with constant
// dimensions it is a located compile error saying so.
// EXPECT-ERROR: err_getrf_rect.c:12:
// EXPECT-ERROR: cannot differentiate call to 'LAPACKE_dgetrf' on a 3 x 4 matrix
#include <lapacke.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup;

static double f(double *A) {
  lapack_int ipiv[3];
  LAPACKE_dgetrf(LAPACK_COL_MAJOR, 3, 4, A, 3, ipiv);
  return A[0];
}

double g(double *A, double *dA) { return __enzyme_autodiff((void *)f, enzyme_dup, A, dA); }
