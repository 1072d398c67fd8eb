// Matrix-matrix product on flat arrays, C = A B (A m x k, B k x n; runtime sizes, triple loop).
// Reverse with the output's shadow as the seed G: dA += G B^T, dB += A^T G, G zeroed afterwards.
// A scalar loss sum C.*W + 0.5 |C|^2 is checked against finite differences of every entry.
// Forward: tC = tA B + A tB, and forward . direction == reverse gradient . direction.
#include "check.h"

void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff_d(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff_d(void *, ...) __asm__("__enzyme_fwddiff");

#define MM 3
#define KK 4
#define NN 2
#define NP (MM * KK + KK * NN)

void matmul(const double *A, const double *B, double *C, int m, int k, int n) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      double s = 0.0;
      for (int l = 0; l < k; l++)
        s += A[i * k + l] * B[l * n + j];
      C[i * n + j] = s;
    }
}

double mm_loss(const double *A, const double *B, int m, int k, int n) {
  double *C = (double *)malloc(sizeof(double) * (size_t)(m * n));
  matmul(A, B, C, m, k, n);
  double l = 0.0;
  for (int i = 0; i < m * n; i++)
    l += C[i] * (0.1 * i - 0.2) + 0.5 * C[i] * C[i];
  free(C);
  return l;
}
static double loss_packed(const double *p, const void *ctx) {
  (void)ctx;
  return mm_loss(p, p + MM * KK, MM, KK, NN);
}

int main(void) {
  double p[NP], dp[NP] = {0}, C[MM * NN], G[MM * NN], G0[MM * NN];
  unsigned s = 5;
  for (int i = 0; i < NP; i++)
    p[i] = prand(&s);
  for (int i = 0; i < MM * NN; i++)
    G0[i] = G[i] = prand(&s);
  const double *A = p, *B = p + MM * KK;
  double *dA = dp, *dB = dp + MM * KK;
  __enzyme_autodiff((void *)matmul, A, dA, B, dB, C, G, MM, KK, NN);
  char what[128];
  for (int i = 0; i < MM; i++)
    for (int l = 0; l < KK; l++) {
      double want = 0.0;
      for (int j = 0; j < NN; j++)
        want += G0[i * NN + j] * B[l * NN + j];
      snprintf(what, sizeof what, "reverse dA[%d][%d] = (G B^T)", i, l);
      CHECK_CLOSE(what, dA[i * KK + l], want, RTOL_D, ATOL_D);
    }
  for (int l = 0; l < KK; l++)
    for (int j = 0; j < NN; j++) {
      double want = 0.0;
      for (int i = 0; i < MM; i++)
        want += A[i * KK + l] * G0[i * NN + j];
      snprintf(what, sizeof what, "reverse dB[%d][%d] = (A^T G)", l, j);
      CHECK_CLOSE(what, dB[l * NN + j], want, RTOL_D, ATOL_D);
    }
  for (int i = 0; i < MM * NN; i++) {
    snprintf(what, sizeof what, "seed G[%d] consumed", i);
    CHECK_CLOSE(what, G[i], 0.0, 0, 0);
  }

  double g[NP] = {0};
  __enzyme_autodiff_d((void *)mm_loss, A, g, B, g + MM * KK, MM, KK, NN);
  CHECK_GRAD_FD("reverse loss gradient (A then B)", loss_packed, NULL, p, NP, g, RTOL_FD, ATOL_FD);

  double tp[NP], tC[MM * NN];
  for (int i = 0; i < NP; i++)
    tp[i] = prand(&s);
  __enzyme_fwddiff((void *)matmul, A, tp, B, tp + MM * KK, C, tC, MM, KK, NN);
  for (int i = 0; i < MM; i++)
    for (int j = 0; j < NN; j++) {
      double want = 0.0;
      for (int l = 0; l < KK; l++)
        want += tp[i * KK + l] * B[l * NN + j] + A[i * KK + l] * tp[MM * KK + l * NN + j];
      snprintf(what, sizeof what, "forward tC[%d][%d]", i, j);
      CHECK_CLOSE(what, tC[i * NN + j], want, RTOL_D, ATOL_D);
    }
  double tl = __enzyme_fwddiff_d((void *)mm_loss, A, tp, B, tp + MM * KK, MM, KK, NN);
  CHECK_CLOSE("forward loss tangent vs reverse gradient . direction", tl, dotv(g, tp, NP), 1e-9, 1e-12);
  return check_report();
}
