// A constant matrix operand (enzyme_const B; a constant global W) costs no
// derivative work and gets none; the active operand's gradient matches
// finite differences. BLAS calls on constant data only (the scaling of a
// constant table, a product with a run-time transpose flag) are left alone.
// LIBS: -lopenblas
#include <cblas.h>
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { M = 4, N = 3, K = 5, LEN = 32 };
static double W[LEN];
int transpose_flag = 0; // a run-time transpose flag is fine on constant data

__attribute__((noinline)) static double f(double *A, const double *B) {
  double C[LEN] = {0}, T[LEN];
  for (int i = 0; i < LEN; i++) T[i] = W[i];
  cblas_dscal(LEN, 2.0, T, 1); // constant data only
  double U[LEN] = {0};
  cblas_dgemv(CblasColMajor, transpose_flag ? CblasTrans : CblasNoTrans, 4, 4, 1.0, W, 4, W + 16,
              1, 0.0, U, 1);
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0, A, M, B, K, 0.0, C, M);
  cblas_dgemv(CblasRowMajor, CblasNoTrans, N, M, 1.0, T, M, A, 1, 1.0, C + 12, 1);
  double s = 0;
  for (int i = 0; i < LEN; i++) s += C[i] * C[i] * (T[i] + U[i]);
  return s;
}

int main(void) {
  double A[LEN], B[LEN], dA[LEN] = {0}, tA[LEN];
  for (int i = 0; i < LEN; i++) {
    A[i] = sin(0.4 * i + 0.3);
    B[i] = cos(0.6 * i);
    W[i] = 0.5 + 0.1 * (i % 3);
    tA[i] = cos(1.7 * i);
  }
  __enzyme_autodiff((void *)f, enzyme_dup, A, dA, enzyme_const, B);
  CHECK_ARRAY_FD("dA", A, LEN, dA, 1e-5, f(A, B), 1e-6, 1e-6);
  double dot = dotv(dA, tA, LEN);
  double t = __enzyme_fwddiff((void *)f, enzyme_dup, A, tA, enzyme_const, B);
  CHECK_CLOSE("forward vs reverse", t, dot, 1e-10, 1e-10);
  return check_report();
}
