// Fortran BLAS called from C with its character flags in file-local variables that nothing
// writes (`static char N = 'N';`, Enzyme's blas_gemm.c style): they are read as the letters
// they hold, like string literals (the call used to be a compile error, "transpose argument is
// not a compile-time constant"). dgemm_ with 'N'/'T', dgemv_ with 'T'. Reverse mode against
// central finite differences, forward mode against finite differences and the reverse
// gradient. A flag variable that the file writes stays a compile error
// (errors/blas_static_flag_written.c).
// LIBS: -lopenblas
#include "check.h"
#include <math.h>

void dgemm_(const char *, const char *, const int *, const int *, const int *, const double *,
            const double *, const int *, const double *, const int *, const double *, double *,
            const int *);
void dgemv_(const char *, const int *, const int *, const double *, const double *, const int *,
            const double *, const int *, const double *, double *, const int *);
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup;

enum { LEN = 20 };
static char N = 'N', T = 't';
static int three = 3, four = 4, five = 5, one = 1;
static double half = 0.5, zero = 0.0;

__attribute__((noinline)) static double f(double *A, double *B) {
  double C[12], y[4] = {0}, x[3] = {1.0, -2.0, 0.5};
  dgemm_(&N, &T, &three, &four, &five, &half, A, &three, B, &four, &zero, C, &three);  // C = A B^T
  dgemv_(&T, &three, &four, &half, C, &three, x, &one, &zero, y, &one);                 // y = C^T x
  double r = 0;
  for (int i = 0; i < 4; i++)
    r += y[i] * y[i] * (1 + 0.1 * i);
  return r + sin(C[5]);
}

int main(void) {
  double A[LEN], B[LEN], dA[LEN] = {0}, dB[LEN] = {0}, tA[LEN], tB[LEN];
  for (int i = 0; i < LEN; i++) {
    A[i] = (i % 2 ? -1 : 1) * (0.5 + 0.3 * sin(0.7 * i));
    B[i] = (i % 3 ? 1 : -1) * (0.6 + 0.2 * cos(0.4 * i));
    tA[i] = sin(1.3 * i);
    tB[i] = cos(0.8 * i + 0.1);
  }
  __enzyme_autodiff((void *)f, enzyme_dup, A, dA, enzyme_dup, B, dB);
  double h = 1e-5;
  CHECK_ARRAY_FD("dA", A, 15, dA, h, f(A, B), 1e-6, 1e-6);
  CHECK_ARRAY_FD("dB", B, 20, dB, h, f(A, B), 1e-6, 1e-6);
  double t = __enzyme_fwddiff((void *)f, enzyme_dup, A, tA, enzyme_dup, B, tB);
  double Ap[LEN], Am[LEN], Bp[LEN], Bm[LEN];
  shift_along(Ap, A, tA, h, LEN), shift_along(Am, A, tA, -h, LEN);
  shift_along(Bp, B, tB, h, LEN), shift_along(Bm, B, tB, -h, LEN);
  CHECK_CLOSE("forward", t, (f(Ap, Bp) - f(Am, Bm)) / (2 * h), 1e-6, 1e-6);
  CHECK_CLOSE("forward vs reverse", t, dotv(dA, tA, LEN) + dotv(dB, tB, LEN), 1e-10, 1e-10);
  return check_report();
}
