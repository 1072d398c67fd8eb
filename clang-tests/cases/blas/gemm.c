// cblas_dgemm in every layout and transpose combination (3x5x7, leading
// dimensions 9, alpha and beta active and != 1): reverse-mode gradients of A,
// B, alpha, beta against central finite differences (padding entries must get
// zero), forward mode against finite differences, and forward vs reverse.
// LIBS: -lopenblas
#include <cblas.h>
#include <stdlib.h>
#include "check.h"

typedef struct { double dalpha, dbeta; } D2;
D2 __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { M = 3, N = 5, K = 7, LD = 9, LEN = 64 };

static double C0[LEN], W[LEN];

typedef double (*loss_fn)(double *A, double *B, double alpha, double beta);

/* loss = sum W .* C.^2 with C = alpha op(A) op(B) + beta C0 (all LEN entries) */
#define LOSS(NAME, LAY, TA, TB)                                                            \
  __attribute__((noinline)) static double NAME(double *A, double *B, double alpha,         \
                                               double beta) {                              \
    double C[LEN];                                                                         \
    for (int i = 0; i < LEN; i++) C[i] = C0[i];                                            \
    cblas_dgemm(LAY, TA, TB, M, N, K, alpha, A, LD, B, LD, beta, C, LD);                   \
    double s = 0;                                                                          \
    for (int i = 0; i < LEN; i++) s += W[i] * C[i] * C[i];                                 \
    return s;                                                                              \
  }                                                                                        \
  static D2 NAME##_rev(double *A, double *dA, double *B, double *dB, double al, double be) { \
    return __enzyme_autodiff((void *)NAME, enzyme_dup, A, dA, enzyme_dup, B, dB, al, be);  \
  }                                                                                        \
  static double NAME##_fwd(double *A, double *tA, double *B, double *tB, double al,        \
                           double tal, double be, double tbe) {                            \
    return __enzyme_fwddiff((void *)NAME, enzyme_dup, A, tA, enzyme_dup, B, tB, al, tal,   \
                            be, tbe);                                                      \
  }

LOSS(cnn, CblasColMajor, CblasNoTrans, CblasNoTrans)
LOSS(cnt, CblasColMajor, CblasNoTrans, CblasTrans)
LOSS(ctn, CblasColMajor, CblasTrans, CblasNoTrans)
LOSS(ctt, CblasColMajor, CblasTrans, CblasTrans)
LOSS(rnn, CblasRowMajor, CblasNoTrans, CblasNoTrans)
LOSS(rnt, CblasRowMajor, CblasNoTrans, CblasTrans)
LOSS(rtn, CblasRowMajor, CblasTrans, CblasNoTrans)
LOSS(rtt, CblasRowMajor, CblasTrans, CblasTrans)

typedef D2 (*rev_fn)(double *, double *, double *, double *, double, double);
typedef double (*fwd_fn)(double *, double *, double *, double *, double, double, double,
                         double);

static void check(const char *name, loss_fn f, rev_fn rev, fwd_fn fwd) {
  double A[LEN], B[LEN], dA[LEN] = {0}, dB[LEN] = {0}, tA[LEN], tB[LEN];
  for (int i = 0; i < LEN; i++) {
    A[i] = sin(0.3 * i + 0.1);
    B[i] = cos(0.7 * i - 0.2);
    tA[i] = sin(1.1 * i);
    tB[i] = cos(0.9 * i + 0.5);
  }
  double al = 0.7, be = -0.4;
  D2 r = rev(A, dA, B, dB, al, be);
  char what[128];
  snprintf(what, sizeof what, "%s dA", name);
  CHECK_ARRAY_FD(what, A, LEN, dA, 1e-5, f(A, B, al, be), 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s dB", name);
  CHECK_ARRAY_FD(what, B, LEN, dB, 1e-5, f(A, B, al, be), 1e-6, 1e-6);
  double h = 1e-5;
  snprintf(what, sizeof what, "%s dalpha", name);
  CHECK_CLOSE(what, r.dalpha, FD_AT(al, h, f(A, B, al, be)), 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s dbeta", name);
  CHECK_CLOSE(what, r.dbeta, FD_AT(be, h, f(A, B, al, be)), 1e-6, 1e-6);
  // forward mode: a direction in every input
  double tal = 0.3, tbe = -0.8;
  double t = fwd(A, tA, B, tB, al, tal, be, tbe);
  double Ap[LEN], Am[LEN], Bp[LEN], Bm[LEN];
  shift_along(Ap, A, tA, h, LEN), shift_along(Am, A, tA, -h, LEN);
  shift_along(Bp, B, tB, h, LEN), shift_along(Bm, B, tB, -h, LEN);
  double fdd = (f(Ap, Bp, al + h * tal, be + h * tbe) - f(Am, Bm, al - h * tal, be - h * tbe)) / (2 * h);
  snprintf(what, sizeof what, "%s forward", name);
  CHECK_CLOSE(what, t, fdd, 1e-6, 1e-6);
  // forward vs reverse: <grad, direction>
  double dot = r.dalpha * tal + r.dbeta * tbe + dotv(dA, tA, LEN) + dotv(dB, tB, LEN);
  snprintf(what, sizeof what, "%s forward vs reverse", name);
  CHECK_CLOSE(what, t, dot, 1e-10, 1e-10);
}

int main(void) {
  for (int i = 0; i < LEN; i++) {
    C0[i] = 0.5 - 0.01 * i;
    W[i] = 1.0 + 0.1 * (i % 7);
  }
  check("col NN", cnn, cnn_rev, cnn_fwd);
  check("col NT", cnt, cnt_rev, cnt_fwd);
  check("col TN", ctn, ctn_rev, ctn_fwd);
  check("col TT", ctt, ctt_rev, ctt_fwd);
  check("row NN", rnn, rnn_rev, rnn_fwd);
  check("row NT", rnt, rnt_rev, rnt_fwd);
  check("row TN", rtn, rtn_rev, rtn_fwd);
  check("row TT", rtt, rtt_rev, rtt_fwd);
  return check_report();
}
