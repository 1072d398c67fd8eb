// A BLAS routine without a derivative rule is a located compile error naming it.
// EXPECT-ERROR: err_unsupported.c:11:
// EXPECT-ERROR: cannot differentiate call to the BLAS/LAPACK routine 'cblas_dtrsv'
// EXPECT-ERROR: gemm
#include <cblas.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup;

static double f(double *A, double *x) {
  cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, 3, A, 3, x, 1);
  return x[0];
}

double g(double *A, double *dA, double *x, double *dx) {
  return __enzyme_autodiff((void *)f, enzyme_dup, A, dA, enzyme_dup, x, dx);
}
