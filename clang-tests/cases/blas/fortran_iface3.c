// The Fortran BLAS interface called from C for the triangular and symmetric
// routines (every argument by reference, flags as strings): dtrmv_, dtrsv_
// (lower/upper, transposed, unit diagonal, stride -2), dtrmm_, dtrsm_ (left
// and right, transposed), dsymv_, dsymm_ (left, right), dsyrk_ (transposed),
// and dsyev_ with a workspace query ('V', lower) from C, alpha and beta in
// local variables that depend on an active input. Odd sizes (3 x 5, leading
// dimensions 7 and 6). Reverse against central finite differences, forward
// against finite differences and the reverse gradient.
// LIBS: -lopenblas
#include "check.h"

void dtrmv_(const char *, const char *, const char *, const int *, const double *, const int *,
            double *, const int *);
void dtrsv_(const char *, const char *, const char *, const int *, const double *, const int *,
            double *, const int *);
void dtrmm_(const char *, const char *, const char *, const char *, const int *, const int *,
            const double *, const double *, const int *, double *, const int *);
void dtrsm_(const char *, const char *, const char *, const char *, const int *, const int *,
            const double *, const double *, const int *, double *, const int *);
void dsymv_(const char *, const int *, const double *, const double *, const int *,
            const double *, const int *, const double *, double *, const int *);
void dsymm_(const char *, const char *, const int *, const int *, const double *, const double *,
            const int *, const double *, const int *, const double *, double *, const int *);
void dsyrk_(const char *, const char *, const int *, const int *, const double *, const double *,
            const int *, const double *, double *, const int *);
void dsyev_(const char *, const char *, const int *, double *, const int *, double *, double *,
            const int *, int *);

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { LEN = 56 };

static double wsq(const double *v, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += (1 + 0.1 * (i % 4)) * v[i] * v[i];
  return s;
}

__attribute__((noinline)) static double f(double *A, double *B, double s) {
  int m = 3, n = 5, ld7 = 7, ld6 = 6, mtwo = -2, one = 1, lwork = -1, info = 0;
  double alpha = 0.5 * s, beta = 0.25 + 0.1 * s;
  double T[LEN], X[LEN], Y[LEN], S[LEN], C[LEN], x[12], y[12], w[8], q[1], work[64];
  for (int i = 0; i < LEN; i++) {
    T[i] = 0.3 * A[i];
    X[i] = B[i];
    Y[i] = 0.5 * B[(i + 3) % LEN];
    S[i] = A[(i + 5) % LEN];
    C[i] = 0.2 * B[(i + 1) % LEN];
  }
  for (int i = 0; i < n; i++) T[i * ld7 + i] = 2.0 + 0.1 * A[i];  // well-conditioned diagonal
  for (int i = 0; i < 12; i++) x[i] = A[i + 40], y[i] = B[i + 40];
  dtrmv_("L", "N", "N", &n, T, &ld7, x, &mtwo);
  dtrsv_("U", "T", "N", &n, T, &ld7, x, &mtwo);
  dtrsv_("L", "T", "U", &n, T, &ld7, y, &one);
  dtrmm_("L", "U", "T", "N", &n, &m, &alpha, T, &ld7, X, &ld7);  // X(5x3) = a T^T X
  dtrsm_("R", "L", "N", "N", &m, &n, &alpha, T, &ld7, Y, &ld6);  // Y(3x5) = a Y T^-1
  dsymv_("U", &n, &alpha, S, &ld7, x, &mtwo, &beta, y, &one);
  dsymm_("L", "L", &n, &m, &alpha, S, &ld7, X, &ld7, &beta, C, &ld6);  // C(5x3)
  dsymm_("R", "U", &m, &n, &beta, S, &ld7, Y, &ld6, &alpha, C + 20, &ld7);  // C(3x5) at 20
  dsyrk_("L", "T", &m, &n, &alpha, X, &ld7, &beta, S, &ld7);  // S(3x3) = a X^T X + b S, lower
  // eigenvalues and eigenvectors of the lower triangle of S (3 x 3)
  dsyev_("V", "L", &m, S, &ld7, w, q, &lwork, &info);
  lwork = (int)q[0] < 64 ? (int)q[0] : 64;
  dsyev_("V", "L", &m, S, &ld7, w, work, &lwork, &info);
  double r = wsq(x, 12) + wsq(y, 12) + wsq(X, LEN) + wsq(Y, LEN) + wsq(C, LEN);
  for (int j = 0; j < m; j++) r += w[j] * (j + 1) + S[j * ld7] * S[j * ld7 + 1];
  return r;
}

int main(void) {
  double A[LEN], B[LEN], dA[LEN] = {0}, dB[LEN] = {0}, tA[LEN], tB[LEN], s = 1.3, ts = 0.7;
  for (int i = 0; i < LEN; i++) {
    A[i] = 0.5 * sin(0.7 * i + 0.3);
    B[i] = 0.6 * cos(0.4 * i - 0.2);
    tA[i] = sin(1.3 * i);
    tB[i] = cos(0.8 * i + 0.1);
  }
  double ds = __enzyme_autodiff((void *)f, enzyme_dup, A, dA, enzyme_dup, B, dB, s);
  double h = 1e-6;
  CHECK_ARRAY_FD("dA", A, LEN, dA, h, f(A, B, s), RTOL_FD, 1e-7);
  CHECK_ARRAY_FD("dB", B, LEN, dB, h, f(A, B, s), RTOL_FD, 1e-7);
  CHECK_CLOSE("ds", ds, FD_AT(s, h, f(A, B, s)), RTOL_FD, 1e-7);
  double t = __enzyme_fwddiff((void *)f, enzyme_dup, A, tA, enzyme_dup, B, tB, s, ts);
  double Ap[LEN], Am[LEN], Bp[LEN], Bm[LEN];
  shift_along(Ap, A, tA, h, LEN), shift_along(Am, A, tA, -h, LEN);
  shift_along(Bp, B, tB, h, LEN), shift_along(Bm, B, tB, -h, LEN);
  double dot = ds * ts + dotv(dA, tA, LEN) + dotv(dB, tB, LEN);
  CHECK_CLOSE("forward", t, (f(Ap, Bp, s + h * ts) - f(Am, Bm, s - h * ts)) / (2 * h), RTOL_FD,
              1e-7);
  CHECK_CLOSE("forward vs reverse", t, dot, RTOL_D, ATOL_D);
  return check_report();
}
