// A matrix operand that a loop nest fills right before each cblas_dgemm in a
// loop, overwritten in the next iteration (GMM's centred data xc = x - mu_k):
// at -O1 and above the reverse sweep runs the nest again instead of copying
// the operand before every call (`-ferment-print-tape`: "rebuild array
// operand"), in `centred` (row-major, a per-iteration scale from outside the
// nest), `padded` (column-major, leading dimension > rows) and `vector` (a
// vector filled by one loop, cblas_dger). Variants that must still copy, each
// breaking one condition, with the stale or rewritten values making a wrong
// rebuild visible: `partial` (the nest leaves the last column from before the
// loop), `rewritten` (another store into the operand after the nest),
// `carried` (the nest reads memory the loop overwrites later). Sizes are
// run-time values (n = 7, d = 3, 3 components), so the loops stay loops.
// Reverse gradients of mu, Q, theta against central finite differences,
// forward mode against the reverse gradient.
// LIBS: -lopenblas
#include <cblas.h>
#include <stdlib.h>
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { K = 3, NMAX = 7, DMAX = 3, NMU = K * DMAX, NQ = K * DMAX * DMAX };
static double X[NMAX * DMAX], W[NMAX * (DMAX + 2)];

typedef double (*fn)(int n, int d, int nk, const double *mu, const double *Q, const double *th);

static double sum_sq(int len, const double *y, double f) {
  double s = 0;
  for (int i = 0; i < len; i++) s += W[i] * y[i] * y[i] * f;
  return s;
}

__attribute__((noinline)) static double centred(int n, int d, int nk, const double *mu,
                                                const double *Q,
                                                const double *th) {
  double *xc = malloc(sizeof(double) * n * d), *y = malloc(sizeof(double) * n * d), s = 0;
  for (int k = 0; k < nk; k++) {
    double sc = 1 + 0.2 * th[k] * th[k];
    for (int i = 0; i < n; i++)
      for (int j = 0; j < d; j++) xc[i * d + j] = sc * (X[i * d + j] - mu[k * d + j]);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, 1.0, xc, d, Q + k * d * d, d,
                0.0, y, d);
    s += sum_sq(n * d, y, 1 + 0.1 * k);
  }
  free(xc);
  free(y);
  return s;
}

__attribute__((noinline)) static double padded(int n, int d, int nk, const double *mu,
                                                const double *Q,
                                               const double *th) {
  int ld = n + 2;
  double *xc = malloc(sizeof(double) * ld * d), *y = malloc(sizeof(double) * n * d), s = 0;
  for (int k = 0; k < nk; k++) {
    for (int j = 0; j < d; j++)
      for (int i = 0; i < n; i++) xc[j * ld + i] = X[i * d + j] * th[k] - mu[k * d + j];
    // y (n x d) = xc (n x d, ld n + 2) Q_k (d x d)
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, d, d, 0.5, xc, ld, Q + k * d * d, d,
                0.0, y, n);
    s += sum_sq(n * d, y, 1 + 0.1 * k);
  }
  free(xc);
  free(y);
  return s;
}

__attribute__((noinline)) static double partial(int n, int d, int nk, const double *mu,
                                                const double *Q,
                                                const double *th) {
  double *xc = malloc(sizeof(double) * n * d), *y = malloc(sizeof(double) * n * d), s = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < d; j++) xc[i * d + j] = X[i * d + j] - mu[j];
  for (int k = 0; k < nk; k++) {
    for (int i = 0; i < n; i++)
      for (int j = 0; j < d - 1; j++) xc[i * d + j] = th[k] * (X[i * d + j] - mu[k * d + j]);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, 1.0, xc, d, Q + k * d * d, d,
                0.0, y, d);
    s += sum_sq(n * d, y, 1 + 0.1 * k);
  }
  free(xc);
  free(y);
  return s;
}

__attribute__((noinline)) static double rewritten(int n, int d, int nk, const double *mu,
                                                const double *Q,
                                                  const double *th) {
  double *xc = malloc(sizeof(double) * n * d), *y = malloc(sizeof(double) * n * d), s = 0;
  for (int k = 0; k < nk; k++) {
    for (int i = 0; i < n; i++)
      for (int j = 0; j < d; j++) xc[i * d + j] = X[i * d + j] - mu[k * d + j];
    xc[d + 1] = th[k] * mu[k * d];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, 1.0, xc, d, Q + k * d * d, d,
                0.0, y, d);
    s += sum_sq(n * d, y, 1 + 0.1 * k);
  }
  free(xc);
  free(y);
  return s;
}

__attribute__((noinline)) static double carried(int n, int d, int nk, const double *mu,
                                                const double *Q,
                                                const double *th) {
  double *xc = malloc(sizeof(double) * n * d), *y = malloc(sizeof(double) * n * d);
  double *t = malloc(sizeof(double) * n * d), s = 0;
  for (int i = 0; i < n * d; i++) t[i] = X[i];
  for (int k = 0; k < nk; k++) {
    for (int i = 0; i < n; i++)
      for (int j = 0; j < d; j++) xc[i * d + j] = t[i * d + j] - mu[k * d + j];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, 1.0, xc, d, Q + k * d * d, d,
                0.0, y, d);
    s += sum_sq(n * d, y, 1 + 0.1 * k);
    for (int i = 0; i < n * d; i++) t[i] = X[i] + th[k] * y[i];
  }
  free(xc);
  free(y);
  free(t);
  return s;
}

__attribute__((noinline)) static double vector(int n, int d, int nk, const double *mu,
                                               const double *Q, const double *th) {
  double *v = malloc(sizeof(double) * n), *Y = malloc(sizeof(double) * n * d);
  for (int i = 0; i < n * d; i++) Y[i] = X[i] * Q[i % 9];
  for (int k = 0; k < nk; k++) {
    for (int i = 0; i < n; i++) v[i] = X[i] * th[k] - mu[k * d];
    // Y (n x d) += 0.7 v mu_k^T
    cblas_dger(CblasRowMajor, n, d, 0.7, v, 1, mu + k * d, 1, Y, d);
  }
  double s = sum_sq(n * d, Y, 1);
  free(v);
  free(Y);
  return s;
}

static int n_rt = NMAX, d_rt = DMAX, k_rt = K;

static void check(const char *name, fn f) {
  double mu[NMU], Q[NQ], th[K], dmu[NMU] = {0}, dQ[NQ] = {0}, dth[K] = {0};
  double tmu[NMU], tQ[NQ], tth[K];
  for (int i = 0; i < NMU; i++) mu[i] = 0.3 * sin(1.3 * i + 0.2), tmu[i] = cos(0.7 * i);
  for (int i = 0; i < NQ; i++) Q[i] = 0.5 * cos(0.9 * i - 0.4), tQ[i] = sin(0.3 * i + 1.0);
  for (int i = 0; i < K; i++) th[i] = 0.8 + 0.3 * i, tth[i] = 0.5 - 0.4 * i;
  int n = n_rt, d = d_rt, nk = k_rt;
  __enzyme_autodiff((void *)f, enzyme_const, n, enzyme_const, d, enzyme_const, nk, enzyme_dup, mu,
                    dmu, enzyme_dup, Q, dQ, enzyme_dup, th, dth);
  char what[96];
  double h = 1e-6;
  snprintf(what, sizeof what, "%s dmu", name);
  CHECK_ARRAY_FD(what, mu, NMU, dmu, h, f(n, d, nk, mu, Q, th), RTOL_FD, ATOL_FD);
  snprintf(what, sizeof what, "%s dQ", name);
  CHECK_ARRAY_FD(what, Q, NQ, dQ, h, f(n, d, nk, mu, Q, th), RTOL_FD, ATOL_FD);
  snprintf(what, sizeof what, "%s dtheta", name);
  CHECK_ARRAY_FD(what, th, K, dth, h, f(n, d, nk, mu, Q, th), RTOL_FD, ATOL_FD);
  double t = __enzyme_fwddiff((void *)f, enzyme_const, n, enzyme_const, d, enzyme_const, nk,
                              enzyme_dup, mu, tmu, enzyme_dup, Q, tQ, enzyme_dup, th, tth);
  double dot = dotv(dmu, tmu, NMU) + dotv(dQ, tQ, NQ) + dotv(dth, tth, K);
  snprintf(what, sizeof what, "%s forward vs reverse", name);
  CHECK_CLOSE(what, t, dot, RTOL_D * 100, ATOL_D);
}

int main(void) {
  for (int i = 0; i < NMAX * DMAX; i++) X[i] = sin(0.7 * i + 0.1);
  for (int i = 0; i < NMAX * (DMAX + 2); i++) W[i] = 1.0 + 0.1 * (i % 5);
  check("centred", centred);
  check("padded", padded);
  check("partial", partial);
  check("rewritten", rewritten);
  check("carried", carried);
  check("vector", vector);
  return check_report();
}
