// GMM's centred data xc = x - mu_k filled by a loop nest before a cblas_dgemm
// in a loop (rebuild_colsum.c's shape): the gemm rule gives only the row sums
// of xc's adjoint, in column 0 of its column-major storage (row 0 of the
// row-major data), and since nothing else reads or writes xc (a fresh
// malloc), the reverse of the filling nest runs its first outer iteration
// only: the others would read zeros. The variants break one premise each,
// and the reverse must then run every iteration:
//   read_after  loads of xc after the gemm put adjoints into its last row;
//   carried     the nest also sums a float across its iterations (an active
//               phi whose adjoint every iteration needs);
//   side_store  the nest also stores into another buffer read later;
//   seeded      xc is the caller's buffer, whose shadow comes seeded (the
//               seed is an adjoint of xc's final contents in every row).
// Sizes are run-time values, among them a single row or column and odd
// counts. Reverse gradients of mu and Q against central finite differences
// (seeded: of f + <seed, xc>), forward mode against the reverse gradient.
// LIBS: -lopenblas
#include <cblas.h>
#include <stdlib.h>
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { K = 2, NMAX = 7, DMAX = 3, NMU = K * DMAX, NQ = K * DMAX * DMAX, NZ = NMAX * DMAX };
static double X[NZ], W[NZ];
static volatile int k_rt = K;  // (a loop around the product, not unrolled)

static double sum_sq(int len, const double *y, double f) {
  double s = 0;
  for (int i = 0; i < len; i++) s += W[i] * y[i] * y[i] * f;
  return s;
}

__attribute__((noinline)) static double centred(int n, int d, const double *mu, const double *Q,
                                                double *out) {
  (void)out;
  double *xc = malloc(sizeof(double) * n * d), *y = malloc(sizeof(double) * n * d), s = 0;
  for (int k = 0; k < k_rt; k++) {
    for (int i = 0; i < n; i++)
      for (int j = 0; j < d; j++) xc[i * d + j] = X[i * d + j] - mu[k * d + j];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, 1.0, xc, d, Q + k * d * d, d,
                0.0, y, d);
    s += sum_sq(n * d, y, 1 + 0.1 * k);
  }
  free(xc);
  free(y);
  return s;
}

// xc as B of a column-major product: Q (d x d) xc (d x n)
__attribute__((noinline)) static double as_b(int n, int d, const double *mu, const double *Q,
                                             double *out) {
  (void)out;
  double *xc = malloc(sizeof(double) * n * d), *y = malloc(sizeof(double) * n * d), s = 0;
  for (int k = 0; k < k_rt; k++) {
    for (int i = 0; i < n; i++)
      for (int j = 0; j < d; j++) xc[i * d + j] = (X[i * d + j] - mu[k * d + j]) / 3.0;
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, d, n, d, 0.7, Q + k * d * d, d, xc, d,
                0.0, y, d);
    s += sum_sq(n * d, y, 1 + 0.2 * k);
  }
  free(xc);
  free(y);
  return s;
}

__attribute__((noinline)) static double read_after(int n, int d, const double *mu,
                                                   const double *Q, double *out) {
  (void)out;
  double *xc = malloc(sizeof(double) * n * d), *y = malloc(sizeof(double) * n * d), s = 0;
  for (int k = 0; k < k_rt; k++) {
    for (int i = 0; i < n; i++)
      for (int j = 0; j < d; j++) xc[i * d + j] = X[i * d + j] - mu[k * d + j];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, 1.0, xc, d, Q + k * d * d, d,
                0.0, y, d);
    s += sum_sq(n * d, y, 1 + 0.1 * k);
    double last = xc[(n - 1) * d + (d - 1)];
    s += 0.3 * last * last + 0.2 * xc[(n - 1) * d];
  }
  free(xc);
  free(y);
  return s;
}

__attribute__((noinline)) static double carried(int n, int d, const double *mu, const double *Q,
                                                double *out) {
  (void)out;
  double *xc = malloc(sizeof(double) * n * d), *y = malloc(sizeof(double) * n * d), s = 0;
  for (int k = 0; k < k_rt; k++) {
    double t = 0;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < d; j++) {
        xc[i * d + j] = X[i * d + j] - mu[k * d + j];
        t += mu[k * d + j] * X[i * d + j];
      }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, 1.0, xc, d, Q + k * d * d, d,
                0.0, y, d);
    s += sum_sq(n * d, y, 1 + 0.1 * k) + 0.5 * t * t;
  }
  free(xc);
  free(y);
  return s;
}

__attribute__((noinline)) static double side_store(int n, int d, const double *mu,
                                                   const double *Q, double *out) {
  (void)out;
  double *xc = malloc(sizeof(double) * n * d), *y = malloc(sizeof(double) * n * d), s = 0;
  double *v = malloc(sizeof(double) * n * d);
  for (int k = 0; k < k_rt; k++) {
    for (int i = 0; i < n; i++)
      for (int j = 0; j < d; j++) {
        xc[i * d + j] = X[i * d + j] - mu[k * d + j];
        v[i * d + j] = mu[k * d + j] * X[i * d + j];
      }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, 1.0, xc, d, Q + k * d * d, d,
                0.0, y, d);
    s += sum_sq(n * d, y, 1 + 0.1 * k) + sum_sq(n * d, v, 0.5);
  }
  free(xc);
  free(y);
  free(v);
  return s;
}

__attribute__((noinline)) static double seeded(int n, int d, const double *mu, const double *Q,
                                               double *xc) {
  double *y = malloc(sizeof(double) * n * d), s = 0;
  for (int k = 0; k < k_rt; k++) {
    for (int i = 0; i < n; i++)
      for (int j = 0; j < d; j++) xc[i * d + j] = X[i * d + j] - mu[k * d + j];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, 1.0, xc, d, Q + k * d * d, d,
                0.0, y, d);
    s += sum_sq(n * d, y, 1 + 0.1 * k);
  }
  free(y);
  return s;
}

typedef double (*fn)(int n, int d, const double *mu, const double *Q, double *out);
static double SEED[NZ];

// f + <seed, out> (the value whose gradient a seeded shadow of out asks for)
static double objective(fn f, int n, int d, const double *mu, const double *Q, int use_seed) {
  double out[NZ] = {0};
  double s = f(n, d, mu, Q, out);
  if (use_seed)
    for (int i = 0; i < n * d; i++) s += SEED[i] * out[i];
  return s;
}

static void check(const char *name, fn f, int n, int d, int use_seed) {
  double mu[NMU], Q[NQ], dmu[NMU] = {0}, dQ[NQ] = {0}, tmu[NMU], tQ[NQ];
  double out[NZ] = {0}, dout[NZ] = {0}, tout[NZ] = {0};
  for (int i = 0; i < NMU; i++) mu[i] = 0.3 * sin(1.3 * i + 0.2), tmu[i] = cos(0.7 * i);
  for (int i = 0; i < NQ; i++) Q[i] = 0.5 * cos(0.9 * i - 0.4), tQ[i] = sin(0.3 * i + 1.0);
  if (use_seed)
    for (int i = 0; i < NZ; i++) dout[i] = SEED[i];
  __enzyme_autodiff((void *)f, enzyme_const, n, enzyme_const, d, enzyme_dup, mu, dmu, enzyme_dup,
                    Q, dQ, enzyme_dup, out, dout);
  char what[96];
  double h = 1e-6;
  snprintf(what, sizeof what, "%s n=%d d=%d dmu", name, n, d);
  CHECK_ARRAY_FD(what, mu, NMU, dmu, h, objective(f, n, d, mu, Q, use_seed), RTOL_FD, ATOL_FD);
  snprintf(what, sizeof what, "%s n=%d d=%d dQ", name, n, d);
  CHECK_ARRAY_FD(what, Q, NQ, dQ, h, objective(f, n, d, mu, Q, use_seed), RTOL_FD, ATOL_FD);
  if (use_seed) return;  // (the forward check below has no seed)
  double t = __enzyme_fwddiff((void *)f, enzyme_const, n, enzyme_const, d, enzyme_dup, mu, tmu,
                              enzyme_dup, Q, tQ, enzyme_dup, out, tout);
  double dot = dotv(dmu, tmu, NMU) + dotv(dQ, tQ, NQ);
  snprintf(what, sizeof what, "%s n=%d d=%d forward vs reverse", name, n, d);
  CHECK_CLOSE(what, t, dot, RTOL_D * 100, ATOL_D);
}

static volatile int sizes[][2] = {{1, 1}, {1, 3}, {5, 3}, {7, 2}, {4, 1}, {3, 3}};

int main(void) {
  for (int i = 0; i < NZ; i++)
    X[i] = sin(0.7 * i + 0.1), W[i] = 1.0 + 0.1 * (i % 5), SEED[i] = 0.4 + 0.1 * (i % 3);
  for (unsigned s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    int n = sizes[s][0], d = sizes[s][1];
    check("centred", centred, n, d, 0);
    check("as_b", as_b, n, d, 0);
    check("read_after", read_after, n, d, 0);
    check("carried", carried, n, d, 0);
    check("side_store", side_store, n, d, 0);
    check("seeded", seeded, n, d, 1);
  }
  return check_report();
}
