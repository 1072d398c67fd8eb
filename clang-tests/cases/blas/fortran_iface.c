// The Fortran BLAS interface called from C (every argument by reference):
// dgemm_ (transposes as "N"/"T" strings), dgemv_, dger_, ddot_, daxpy_,
// dscal_, dcopy_, dnrm2_, dasum_, with alpha held in a local variable that
// depends on an active input (its derivative flows through the pointer).
// Reverse against central finite differences, forward against finite
// differences and the reverse gradient.
// LIBS: -lopenblas
#include "check.h"

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

int main(void) {
  double A[LEN], B[LEN], dA[LEN] = {0}, dB[LEN] = {0}, tA[LEN], tB[LEN], s = 1.3, ts = 0.7;
  for (int i = 0; i < LEN; i++) {
    A[i] = (i % 2 ? -1 : 1) * (0.5 + 0.3 * sin(0.7 * i));
    B[i] = (i % 3 ? 1 : -1) * (0.6 + 0.2 * cos(0.4 * i));
    tA[i] = sin(1.3 * i);
    tB[i] = cos(0.8 * i + 0.1);
  }
  double ds = __enzyme_autodiff((void *)f, enzyme_dup, A, dA, enzyme_dup, B, dB, s);
  double h = 1e-5;
  CHECK_ARRAY_FD("dA", A, LEN, dA, h, f(A, B, s), 1e-6, 1e-6);
  CHECK_ARRAY_FD("dB", B, LEN, dB, h, f(A, B, s), 1e-6, 1e-6);
  CHECK_CLOSE("ds", ds, FD_AT(s, h, f(A, B, s)), 1e-6, 1e-6);
  double t = __enzyme_fwddiff((void *)f, enzyme_dup, A, tA, enzyme_dup, B, tB, s, ts);
  double Ap[LEN], Am[LEN], Bp[LEN], Bm[LEN];
  shift_along(Ap, A, tA, h, LEN), shift_along(Am, A, tA, -h, LEN);
  shift_along(Bp, B, tB, h, LEN), shift_along(Bm, B, tB, -h, LEN);
  double dot = ds * ts + dotv(dA, tA, LEN) + dotv(dB, tB, LEN);
  CHECK_CLOSE("forward", t, (f(Ap, Bp, s + h * ts) - f(Am, Bm, s - h * ts)) / (2 * h), 1e-6, 1e-6);
  CHECK_CLOSE("forward vs reverse", t, dot, 1e-10, 1e-10);
  return check_report();
}
