// Three loop nests fill the scratch operand xc right before a cblas_dgemm, in
// three loops over the components (GMM's centred data, filled again for a second
// product): the first two nests store the same values (xc = x - mu_k), the
// third a scaled copy. The reverse sweep rebuilds each operand instead of
// copying it, the first two through one shared helper function
// (tests/derivative_size.rs checks the count), the third through its own.
// Reverse gradients of mu, Q, P, theta against central finite differences,
// forward mode against the reverse gradient. Sizes are run-time values
// (n = 6, d = 3, 3 components), so the loops stay loops.
// LIBS: -lopenblas
#include <cblas.h>
#include <stdlib.h>
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { K = 3, NMAX = 6, DMAX = 3, NMU = K * DMAX, NQ = K * DMAX * DMAX };
static double X[NMAX * DMAX], W[NMAX * DMAX];
static volatile int n_rt = NMAX, d_rt = DMAX, k_rt = K;

static double sum_sq(int len, const double *y) {
  double s = 0;
  for (int i = 0; i < len; i++) s += W[i] * y[i] * y[i];
  return s;
}

__attribute__((noinline)) static double twice(int n, int d, int nk, const double *mu,
                                              const double *Q, const double *P,
                                              const double *th) {
  double *xc = malloc(sizeof(double) * n * d), *y = malloc(sizeof(double) * n * d), s = 0;
  for (int k = 0; k < nk; k++) {
    for (int i = 0; i < n; i++)
      for (int j = 0; j < d; j++) xc[i * d + j] = X[i * d + j] - mu[k * d + j];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, 1.0, xc, d, Q + k * d * d, d,
                0.0, y, d);
    s += sum_sq(n * d, y);
  }
  for (int k = 0; k < nk; k++) {
    for (int i = 0; i < n; i++)
      for (int j = 0; j < d; j++) xc[i * d + j] = X[i * d + j] - mu[k * d + j];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, d, 0.5, xc, d, P + k * d * d, d,
                0.0, y, d);
    s += 0.3 * sum_sq(n * d, y);
  }
  for (int k = 0; k < nk; k++) {
    double sc = 1 + 0.2 * th[k] * th[k];
    for (int i = 0; i < n; i++)
      for (int j = 0; j < d; j++) xc[i * d + j] = sc * (X[i * d + j] - mu[k * d + j]);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, 1.0, xc, d, P + k * d * d, d,
                0.0, y, d);
    s += 0.7 * sum_sq(n * d, y);
  }
  free(xc);
  free(y);
  return s;
}

int main(void) {
  for (int i = 0; i < NMAX * DMAX; i++) X[i] = sin(0.7 * i + 0.1), W[i] = 1.0 + 0.1 * (i % 5);
  double mu[NMU], Q[NQ], P[NQ], th[K], dmu[NMU] = {0}, dQ[NQ] = {0}, dP[NQ] = {0}, dth[K] = {0};
  double tmu[NMU], tQ[NQ], tP[NQ], tth[K];
  for (int i = 0; i < NMU; i++) mu[i] = 0.3 * sin(1.3 * i + 0.2), tmu[i] = cos(0.7 * i);
  for (int i = 0; i < NQ; i++) {
    Q[i] = 0.5 * cos(0.9 * i - 0.4), tQ[i] = sin(0.3 * i + 1.0);
    P[i] = 0.4 * sin(0.5 * i + 0.3), tP[i] = cos(0.2 * i - 0.6);
  }
  for (int i = 0; i < K; i++) th[i] = 0.8 + 0.3 * i, tth[i] = 0.5 - 0.4 * i;
  int n = n_rt, d = d_rt, nk = k_rt;
  __enzyme_autodiff((void *)twice, enzyme_const, n, enzyme_const, d, enzyme_const, nk, enzyme_dup,
                    mu, dmu, enzyme_dup, Q, dQ, enzyme_dup, P, dP, enzyme_dup, th, dth);
  double h = 1e-6;
  CHECK_ARRAY_FD("dmu", mu, NMU, dmu, h, twice(n, d, nk, mu, Q, P, th), RTOL_FD, ATOL_FD);
  CHECK_ARRAY_FD("dQ", Q, NQ, dQ, h, twice(n, d, nk, mu, Q, P, th), RTOL_FD, ATOL_FD);
  CHECK_ARRAY_FD("dP", P, NQ, dP, h, twice(n, d, nk, mu, Q, P, th), RTOL_FD, ATOL_FD);
  CHECK_ARRAY_FD("dtheta", th, K, dth, h, twice(n, d, nk, mu, Q, P, th), RTOL_FD, ATOL_FD);
  double t = __enzyme_fwddiff((void *)twice, enzyme_const, n, enzyme_const, d, enzyme_const, nk,
                              enzyme_dup, mu, tmu, enzyme_dup, Q, tQ, enzyme_dup, P, tP, enzyme_dup,
                              th, tth);
  double dot = dotv(dmu, tmu, NMU) + dotv(dQ, tQ, NQ) + dotv(dP, tP, NQ) + dotv(dth, tth, K);
  CHECK_CLOSE("forward vs reverse", t, dot, RTOL_D * 100, ATOL_D);
  return check_report();
}
