// A BLAS call on active data needs its layout and transpose flags at compile
// time: a run-time flag is a located error naming the routine.
// EXPECT-ERROR: err_flag.c:11:
// EXPECT-ERROR: cannot differentiate call to 'cblas_dgemv': its transpose argument is not a compile-time constant
#include <cblas.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

static double f(double *A, double *x, double *y, int t) {
  cblas_dgemv(CblasColMajor, t ? CblasTrans : CblasNoTrans, 3, 3, 1.0, A, 3, x, 1, 0.0, y, 1);
  return y[0] * y[1];
}

double g(double *A, double *dA, double *x, double *dx, double *y, double *dy, int t) {
  return __enzyme_autodiff((void *)f, enzyme_dup, A, dA, enzyme_dup, x, dx, enzyme_dup, y, dy,
                           enzyme_const, t);
}
