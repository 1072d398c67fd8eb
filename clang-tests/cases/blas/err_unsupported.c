// A BLAS routine without a derivative rule is a located compile error naming it.
// EXPECT-ERROR: err_unsupported.c:11:
// EXPECT-ERROR: cannot differentiate call to the BLAS/LAPACK routine 'cblas_dspr'
// EXPECT-ERROR: gemm
#include <cblas.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup;

static double f(double *A, double *x, double *y) {
  cblas_dspr(CblasColMajor, CblasLower, 3, 1.0, x, 1, A);
  return y[0];
}

double g(double *A, double *dA, double *x, double *dx, double *y, double *dy) {
  return __enzyme_autodiff((void *)f, enzyme_dup, A, dA, enzyme_dup, x, dx, enzyme_dup, y, dy);
}
