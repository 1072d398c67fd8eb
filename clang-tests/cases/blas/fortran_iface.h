/* fortran_iface.h: the Fortran BLAS interface's prototypes and the function differentiated by
 * blas/fortran_iface.c (scalar modes) and blas/fortran_iface_batched.c (batched reverse). */
void dgemm_(const char *, const char *, const int *, const int *, const int *, const double *,
            const double *, const int *, const double *, const int *, const double *, double *,
            const int *);
void dgemv_(const char *, const int *, const int *, const double *, const double *, const int *,
            const double *, const int *, const double *, double *, const int *);
void dger_(const int *, const int *, const double *, const double *, const int *, const double *,
           const int *, double *, const int *);
double ddot_(const int *, const double *, const int *, const double *, const int *);
void daxpy_(const int *, const double *, const double *, const int *, double *, const int *);
void dscal_(const int *, const double *, double *, const int *);
void dcopy_(const int *, const double *, const int *, double *, const int *);
double dnrm2_(const int *, const double *, const int *);
double dasum_(const int *, const double *, const int *);

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { LEN = 48 };

__attribute__((noinline)) static double f(double *A, double *B, double s) {
  int m = 3, n = 4, k = 5, lda = 6, ldb = 7, ldc = 4, one = 1, two = 2, mthree = -3;
  double alpha = 0.5 * s, beta = 0.25, zero = 0.0;
  double C[LEN], y[LEN], Z[LEN];
  for (int i = 0; i < LEN; i++) C[i] = 0.1 * A[i], y[i] = 0.2 * B[i], Z[i] = 0.3 * B[i];
  dgemm_("N", "T", &m, &n, &k, &alpha, A, &lda, B, &ldb, &beta, C, &ldc);  // C(3x4) += A(3x5) B(4x5)^T
  dgemv_("T", &m, &n, &alpha, C, &ldc, A + 1, &two, &beta, y, &mthree);    // y(4) = C^T A[1::2]
  dger_(&m, &n, &alpha, A, &one, y, &mthree, Z, &lda);                   // Z(3x4) += a A y^T
  double r = ddot_(&n, y, &two, B, &mthree);
  daxpy_(&k, &alpha, A, &two, Z, &one);
  dscal_(&n, &alpha, Z + 2, &two);
  dcopy_(&m, Z, &two, C + 20, &mthree);
  r += dnrm2_(&k, Z, &one) * dasum_(&m, C + 20, &one) + ddot_(&m, C, &one, Z + 4, &one) * zero;
  double acc = r;
  for (int i = 0; i < LEN; i++) acc += 0.01 * (i % 5) * (C[i] * C[i] + Z[i] * y[i]);
  return acc;
}
