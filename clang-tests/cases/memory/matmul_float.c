// float matrix-matrix product C = A B on flat arrays (constant sizes), seeded output shadow;
// checked against a double analytic oracle (dA = G B^T, dB = A^T G) and forward tangents.
#include "check.h"

void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

#define MM 5
#define KK 3
#define NN 4

void matmulf(const float *A, const float *B, float *C) {
  for (int i = 0; i < MM; i++)
    for (int j = 0; j < NN; j++) {
      float s = 0.0f;
      for (int l = 0; l < KK; l++)
        s += A[i * KK + l] * B[l * NN + j];
      C[i * NN + j] = s;
    }
}

int main(void) {
  float A[MM * KK], B[KK * NN], C[MM * NN], G[MM * NN], G0[MM * NN];
  float dA[MM * KK], dB[KK * NN], tA[MM * KK], tB[KK * NN], tC[MM * NN];
  unsigned s = 9;
  for (int i = 0; i < MM * KK; i++) {
    A[i] = (float)prand(&s);
    dA[i] = 0.25f;
    tA[i] = (float)prand(&s);
  }
  for (int i = 0; i < KK * NN; i++) {
    B[i] = (float)prand(&s);
    dB[i] = 0.0f;
    tB[i] = (float)prand(&s);
  }
  for (int i = 0; i < MM * NN; i++)
    G0[i] = G[i] = (float)prand(&s);
  __enzyme_autodiff((void *)matmulf, A, dA, B, dB, C, G);
  char what[128];
  for (int i = 0; i < MM; i++)
    for (int l = 0; l < KK; l++) {
      double want = 0.25;
      for (int j = 0; j < NN; j++)
        want += (double)G0[i * NN + j] * (double)B[l * NN + j];
      snprintf(what, sizeof what, "reverse dA[%d][%d] (onto 0.25)", i, l);
      CHECK_CLOSE(what, dA[i * KK + l], want, RTOL_F, ATOL_F);
    }
  for (int l = 0; l < KK; l++)
    for (int j = 0; j < NN; j++) {
      double want = 0.0;
      for (int i = 0; i < MM; i++)
        want += (double)A[i * KK + l] * (double)G0[i * NN + j];
      snprintf(what, sizeof what, "reverse dB[%d][%d]", l, j);
      CHECK_CLOSE(what, dB[l * NN + j], want, RTOL_F, ATOL_F);
    }
  for (int i = 0; i < MM * NN; i++)
    CHECK_CLOSE("float seed consumed", G[i], 0.0, 0, 0);
  __enzyme_fwddiff((void *)matmulf, A, tA, B, tB, C, tC);
  for (int i = 0; i < MM; i++)
    for (int j = 0; j < NN; j++) {
      double want = 0.0, prim = 0.0;
      for (int l = 0; l < KK; l++) {
        want += (double)tA[i * KK + l] * B[l * NN + j] + (double)A[i * KK + l] * tB[l * NN + j];
        prim += (double)A[i * KK + l] * B[l * NN + j];
      }
      snprintf(what, sizeof what, "forward tC[%d][%d]", i, j);
      CHECK_CLOSE(what, tC[i * NN + j], want, RTOL_F, ATOL_F);
      snprintf(what, sizeof what, "forward primal C[%d][%d]", i, j);
      CHECK_CLOSE(what, C[i * NN + j], prim, RTOL_F, ATOL_F);
    }
  return check_report();
}
