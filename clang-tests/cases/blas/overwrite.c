// BLAS operands overwritten after the call, outputs overwritten by a later
// call, in-place routines called again on their own output, and aliased
// read-only operands (gemm of A with itself, ddot(x, x), dger(x, x), dsyr2k
// with A == B, dgemv with x inside A's buffer): the reverse sweep must see
// each operand as it was at its call (copies where something overwrites it,
// the tape report says which). Odd sizes (3 x 5, leading dimension 7). The
// reverse gradient of every parameter against central finite differences,
// forward mode against finite differences and the reverse gradient.
// LIBS: -lopenblas
#include <cblas.h>
#include <math.h>
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { M = 3, N = 5, LD = 7, NP = 64, LEN = 40 };
typedef double (*loss_fn)(const double *p);

static double wsum(const double *v, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += (1.0 + 0.1 * (i % 5)) * v[i] * v[i];
  return s;
}

// X_{t+1} = tanh(A_t X_t), A_{t+1} = 0.9 A_t + X_{t+1}[0]: A and X are
// overwritten after each product (the product needs both)
__attribute__((noinline)) static double chain(const double *p) {
  double A[LEN], X[LEN], Y[LEN];
  for (int i = 0; i < LEN; i++) {
    A[i] = p[i];
    X[i] = p[i + 20];
    Y[i] = 0;
  }
  for (int t = 0; t < 3; t++) {
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, M, N, M, 1.0, A, LD, X, LD, 0.0, Y,
                LD);
    for (int i = 0; i < LEN; i++) X[i] = tanh(Y[i]);
    for (int i = 0; i < LEN; i++) A[i] = 0.9 * A[i] + 0.1 * X[0];
  }
  return wsum(X, LEN);
}

// x = T^-1 x twice in place (row-major, lower), T changed in between; then
// x = T x (trmv) in place: each call's output is the next one's input
__attribute__((noinline)) static double inplace(const double *p) {
  double T[LEN], x[12];
  for (int i = 0; i < LEN; i++) T[i] = p[i];
  for (int i = 0; i < N; i++) T[i * LD + i] = 2.0 + p[i];
  for (int i = 0; i < 12; i++) x[i] = p[i + 40];
  cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, N, T, LD, x, 2);
  for (int i = 0; i < N; i++) T[i * LD + i] += 0.5 * x[2 * i] * x[2 * i];
  cblas_dtrsv(CblasRowMajor, CblasLower, CblasTrans, CblasNonUnit, N, T, LD, x, 2);
  cblas_dtrmv(CblasRowMajor, CblasUpper, CblasNoTrans, CblasNonUnit, N, T, LD, x, 2);
  for (int i = 0; i < LEN; i++) T[i] = 0;
  return wsum(x, 12);
}

// scal in place, the scaled vector read by gemv, then scaled again and
// overwritten by a copy; the gemv output accumulated with beta != 0 twice
__attribute__((noinline)) static double scal_reuse(const double *p) {
  double X[12], Y[8], A[LEN];
  for (int i = 0; i < 12; i++) X[i] = p[i];
  for (int i = 0; i < 8; i++) Y[i] = p[i + 12];
  for (int i = 0; i < LEN; i++) A[i] = p[i + 20];
  cblas_dscal(N, p[60], X, 2);
  cblas_dgemv(CblasColMajor, CblasNoTrans, M, N, p[61], A, LD, X, 2, p[62], Y, 2);
  cblas_dscal(N, p[62], X, 2);
  cblas_dgemv(CblasRowMajor, CblasTrans, M, N, 0.5, A, LD, Y, 2, 1.5, X, 1);
  double s = wsum(X, 12);
  cblas_dcopy(M, Y, 2, X, 1);
  for (int i = 0; i < LEN; i++) A[i] = sin(A[i]);
  return s + wsum(X, 12) + wsum(A, LEN) * 0.01;
}

// the output of one product read by the next, then overwritten; beta != 0
// reads the old output
__attribute__((noinline)) static double product_of_output(const double *p) {
  double A[LEN], B[LEN], C[LEN], D[LEN], E[LEN];
  for (int i = 0; i < LEN; i++) {
    A[i] = p[i];
    B[i] = p[i + 20];
    C[i] = 0.1 * p[i + 10];
    D[i] = 0;
  }
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, M, N, 0.7, A, LD, B, LD, 1.3, C, LD);
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N, M, 1.0, C, LD, A, LD, 0.0, D, LD);
  for (int i = 0; i < LEN; i++) C[i] = sin(C[i]);
  for (int i = 0; i < LEN; i++) E[i] = D[i];
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, M, 1.0, C, LD, D, LD, -0.5, E,
              LD);
  for (int i = 0; i < LEN; i++) D[i] = E[i] * E[i];
  return wsum(D, LEN) + wsum(E, LEN);
}

// aliased read-only operands
__attribute__((noinline)) static double aliased(const double *p) {
  double A[LEN], C[LEN], S[LEN], x[12], y[8];
  for (int i = 0; i < LEN; i++) {
    A[i] = p[i];
    C[i] = 0;
    S[i] = 0.2 * p[i + 3];
  }
  for (int i = 0; i < 12; i++) x[i] = p[i + 40];
  for (int i = 0; i < 8; i++) y[i] = 0.5;
  // C = A A^T (3 x 3 from a 3 x 5 row-major A)
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, M, N, 1.0, A, LD, A, LD, 0.0, C, LD);
  double d = cblas_ddot(N, x, 2, x, 2);
  cblas_dger(CblasColMajor, M, M, 0.3, x, 2, x, 2, C, LD);
  // S = A A^T + A A^T + S on the upper triangle (A == B)
  cblas_dsyr2k(CblasRowMajor, CblasUpper, CblasNoTrans, M, N, 0.4, A, LD, A, LD, 1.0, S, LD);
  // y = A(:, 0:3) * (row 1 of A), x and A in the same buffer
  cblas_dgemv(CblasRowMajor, CblasNoTrans, M, M, 1.0, A, LD, A + LD, 1, 0.0, y, 1);
  double s = 0;
  for (int i = 0; i < M; i++)
    for (int j = i; j < M; j++) s += S[i * LD + j] * S[i * LD + j];
  return wsum(C, LEN) + d * d + s + wsum(y, M);
}

#define CASE(NAME)                                                                             \
  static void NAME##_rev(const double *p, double *dp) {                                        \
    __enzyme_autodiff((void *)NAME, enzyme_dup, p, dp);                                        \
  }                                                                                            \
  static double NAME##_fwd(const double *p, const double *tp) {                                \
    return __enzyme_fwddiff((void *)NAME, enzyme_dup, p, tp);                                  \
  }
CASE(chain)
CASE(inplace)
CASE(scal_reuse)
CASE(product_of_output)
CASE(aliased)

static void check(const char *name, loss_fn f, void (*rev)(const double *, double *),
                  double (*fwd)(const double *, const double *)) {
  double p[NP], dp[NP] = {0}, tp[NP], pp[NP], pm[NP];
  for (int i = 0; i < NP; i++) {
    p[i] = 0.4 * sin(0.37 * i + 0.2);
    tp[i] = cos(0.71 * i - 0.3);
  }
  p[60] = 0.8, p[61] = -0.6, p[62] = 1.1;
  rev(p, dp);
  char what[96];
  snprintf(what, sizeof what, "%s dp", name);
  CHECK_ARRAY_FD(what, p, NP, dp, 1e-6, f(p), RTOL_FD, 1e-7);
  double t = fwd(p, tp), h = 1e-6, dot = dotv(dp, tp, NP);
  shift_along(pp, p, tp, h, NP), shift_along(pm, p, tp, -h, NP);
  snprintf(what, sizeof what, "%s forward", name);
  CHECK_CLOSE(what, t, (f(pp) - f(pm)) / (2 * h), RTOL_FD, 1e-7);
  snprintf(what, sizeof what, "%s forward vs reverse", name);
  CHECK_CLOSE(what, t, dot, RTOL_D, ATOL_D);
}

int main(void) {
  check("chain", chain, chain_rev, chain_fwd);
  check("inplace", inplace, inplace_rev, inplace_fwd);
  check("scal_reuse", scal_reuse, scal_reuse_rev, scal_reuse_fwd);
  check("product_of_output", product_of_output, product_of_output_rev, product_of_output_fwd);
  check("aliased", aliased, aliased_rev, aliased_fwd);
  return check_report();
}
