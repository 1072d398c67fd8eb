// Single precision: cblas_sgemm (row-major, A^T B), cblas_sgemv, cblas_sdot,
// cblas_saxpy, cblas_snrm2 and the Fortran sgemm_; reverse against central
// finite differences of the float function (step 1e-2 on a loss that is
// quadratic in each input), forward against the reverse gradient.
// LIBS: -lopenblas
#include <cblas.h>
#include "check.h"

void sgemm_(const char *, const char *, const int *, const int *, const int *, const float *,
            const float *, const int *, const float *, const int *, const float *, float *,
            const int *);
float __enzyme_autodiff(void *, ...);
float __enzyme_fwddiff(void *, ...);

enum { LEN = 40 };

__attribute__((noinline)) static float f(float *A, float *B, float al) {
  float C[LEN], y[LEN], D[LEN];
  for (int i = 0; i < LEN; i++) C[i] = 0.5f * B[i], y[i] = 0.25f * A[i], D[i] = 0;
  // C(3x4, ld 5) = al A^T B + 0.5 C with A (4x3, ld 3), B (4x4, ld 5)
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 3, 4, 4, al, A, 3, B, 5, 0.5f, C, 5);
  cblas_sgemv(CblasColMajor, CblasNoTrans, 5, 3, 1.5f, C, 5, B + 1, 2, 0.5f, y, 1);
  int m = 2, n = 3, k = 4, ld = 5;
  float one = 1.0f, zero = 0.0f;
  sgemm_("T", "N", &m, &n, &k, &one, C, &ld, A + 2, &ld, &zero, D, &ld);
  cblas_saxpy(4, 0.5f, y, 1, D + 1, 2);
  float s = cblas_sdot(5, y, 1, B, 2) + cblas_snrm2(6, D, 1);
  for (int i = 0; i < LEN; i++) s += 0.05f * (float)(i % 4) * (C[i] * C[i] + D[i]);
  return s;
}

int main(void) {
  float A[LEN], B[LEN], dA[LEN] = {0}, dB[LEN] = {0}, tA[LEN], tB[LEN], al = 0.8f;
  for (int i = 0; i < LEN; i++) {
    A[i] = 0.5f + 0.3f * sinf(0.7f * i);
    B[i] = 0.6f + 0.2f * cosf(0.4f * i);
    tA[i] = sinf(1.3f * i);
    tB[i] = cosf(0.8f * i + 0.1f);
  }
  float dal = __enzyme_autodiff((void *)f, enzyme_dup, A, dA, enzyme_dup, B, dB, al);
  float h = 1e-2f;
  CHECK_ARRAY_FD("dA", A, LEN, dA, h, f(A, B, al), RTOL_FDF, ATOL_FDF);
  CHECK_ARRAY_FD("dB", B, LEN, dB, h, f(A, B, al), RTOL_FDF, ATOL_FDF);
  CHECK_CLOSE("dalpha", dal, ((double)f(A, B, al + h) - f(A, B, al - h)) / (2 * h), RTOL_FDF,
              ATOL_FDF);
  float tal = 0.3f;
  float t = __enzyme_fwddiff((void *)f, enzyme_dup, A, tA, enzyme_dup, B, tB, al, tal);
  double dot = (double)dal * tal;
  for (int i = 0; i < LEN; i++) dot += (double)dA[i] * tA[i] + (double)dB[i] * tB[i];
  CHECK_CLOSE("forward vs reverse", t, dot, 1e-4, 1e-4);
  return check_report();
}
