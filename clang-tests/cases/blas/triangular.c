// Triangular BLAS: cblas_dtrmv, cblas_dtrsv, cblas_dtrmm, cblas_dtrsm in
// both layouts, upper and lower, transposed or not, left and right, unit
// and non-unit diagonals (5x5 triangle, 3x5 right-hand sides, leading
// dimensions 6/7, stride 2 and -1), alpha active. Reverse gradients against
// central finite differences over every entry (the triangle not read, and a
// unit diagonal, get zero), forward mode against finite differences and the
// reverse gradient.
// LIBS: -lopenblas
#include <cblas.h>
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { N = 5, M = 3, LDA = 6, LDB = 7, LEN = 40 };
static double W[LEN];

typedef double (*loss_fn)(double *A, double *B, double al);

static double sumsq(const double *v) {
  double s = 0;
  for (int i = 0; i < LEN; i++) s += W[i] * v[i] * v[i];
  return s;
}

#define LOSS(NAME, CALL)                                                                       \
  __attribute__((noinline)) static double NAME(double *A, double *B, double al) {              \
    double X[LEN];                                                                             \
    for (int i = 0; i < LEN; i++) X[i] = 1.5 * B[i];                                           \
    CALL;                                                                                      \
    return sumsq(X) * (1 + 0 * al);                                                            \
  }                                                                                            \
  static double NAME##_rev(double *A, double *dA, double *B, double *dB, double al) {          \
    return __enzyme_autodiff((void *)NAME, enzyme_dup, A, dA, enzyme_dup, B, dB, al);          \
  }                                                                                            \
  static double NAME##_fwd(double *A, double *tA, double *B, double *tB, double al,            \
                           double tal) {                                                       \
    return __enzyme_fwddiff((void *)NAME, enzyme_dup, A, tA, enzyme_dup, B, tB, al, tal);      \
  }

#define TRV(NAME, FN, LAY, UP, TR, DG, INC) LOSS(NAME, FN(LAY, UP, TR, DG, N, A, LDA, X, INC))
#define TRM(NAME, FN, LAY, SD, UP, TR, DG)                                                     \
  LOSS(NAME, FN(LAY, SD, UP, TR, DG, M, N, al, A, LDA, X, LDB))

#define C CblasColMajor
#define R CblasRowMajor
#define U CblasUpper
#define L CblasLower
#define NT CblasNoTrans
#define T CblasTrans
#define NU CblasNonUnit
#define UN CblasUnit
#define LF CblasLeft
#define RT CblasRight

TRV(mv_cun, cblas_dtrmv, C, U, NT, NU, 2)
TRV(mv_clt, cblas_dtrmv, C, L, T, NU, 2)
TRV(mv_rut, cblas_dtrmv, R, U, T, NU, 2)
TRV(mv_rln_unit, cblas_dtrmv, R, L, NT, UN, -1)
TRV(sv_cun, cblas_dtrsv, C, U, NT, NU, 2)
TRV(sv_clt, cblas_dtrsv, C, L, T, NU, 2)
TRV(sv_rut, cblas_dtrsv, R, U, T, NU, -1)
TRV(sv_rln_unit, cblas_dtrsv, R, L, NT, UN, 2)
TRM(mm_clun, cblas_dtrmm, C, LF, U, NT, NU)
TRM(mm_crlt, cblas_dtrmm, C, RT, L, T, NU)
TRM(mm_rlut, cblas_dtrmm, R, LF, U, T, NU)
TRM(mm_rrln_unit, cblas_dtrmm, R, RT, L, NT, UN)
TRM(sm_clun, cblas_dtrsm, C, LF, U, NT, NU)
TRM(sm_cllt, cblas_dtrsm, C, LF, L, T, NU)
TRM(sm_crut, cblas_dtrsm, C, RT, U, T, NU)
TRM(sm_crln, cblas_dtrsm, C, RT, L, NT, NU)
TRM(sm_rlut_unit, cblas_dtrsm, R, LF, U, T, UN)
TRM(sm_rrln, cblas_dtrsm, R, RT, L, NT, NU)

typedef double (*rev_fn)(double *, double *, double *, double *, double);
typedef double (*fwd_fn)(double *, double *, double *, double *, double, double);

static void check(const char *name, loss_fn f, rev_fn rev, fwd_fn fwd) {
  double A[LEN], B[LEN], dA[LEN] = {0}, dB[LEN] = {0}, tA[LEN], tB[LEN];
  for (int i = 0; i < LEN; i++) {
    // a well-conditioned triangle: large diagonal (column- or row-major, ld 6)
    A[i] = (i % (LDA + 1) == 0) ? 2.5 + 0.3 * sin(i) : 0.3 * sin(0.9 * i + 0.4);
    B[i] = cos(0.7 * i - 0.3);
    tA[i] = sin(1.3 * i);
    tB[i] = cos(0.4 * i + 0.2);
  }
  double al = 0.9, tal = -0.6, h = 1e-6;
  double dal = rev(A, dA, B, dB, al);
  char what[128];
  snprintf(what, sizeof what, "%s dA", name);
  CHECK_ARRAY_FD(what, A, LEN, dA, h, f(A, B, al), 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s dB", name);
  CHECK_ARRAY_FD(what, B, LEN, dB, h, f(A, B, al), 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s dalpha", name);
  CHECK_CLOSE(what, dal, FD_AT(al, h, f(A, B, al)), 1e-6, 1e-6);
  double t = fwd(A, tA, B, tB, al, tal);
  double Ap[LEN], Am[LEN], Bp[LEN], Bm[LEN];
  shift_along(Ap, A, tA, h, LEN), shift_along(Am, A, tA, -h, LEN);
  shift_along(Bp, B, tB, h, LEN), shift_along(Bm, B, tB, -h, LEN);
  double dot = dal * tal + dotv(dA, tA, LEN) + dotv(dB, tB, LEN);
  snprintf(what, sizeof what, "%s forward", name);
  CHECK_CLOSE(what, t, (f(Ap, Bp, al + h * tal) - f(Am, Bm, al - h * tal)) / (2 * h), 1e-6,
              1e-6);
  snprintf(what, sizeof what, "%s forward vs reverse", name);
  CHECK_CLOSE(what, t, dot, 1e-10, 1e-10);
}

#define CHECK(NAME) check(#NAME, NAME, NAME##_rev, NAME##_fwd)

int main(void) {
  for (int i = 0; i < LEN; i++) W[i] = 1.0 + 0.1 * (i % 7);
  CHECK(mv_cun);
  CHECK(mv_clt);
  CHECK(mv_rut);
  CHECK(mv_rln_unit);
  CHECK(sv_cun);
  CHECK(sv_clt);
  CHECK(sv_rut);
  CHECK(sv_rln_unit);
  CHECK(mm_clun);
  CHECK(mm_crlt);
  CHECK(mm_rlut);
  CHECK(mm_rrln_unit);
  CHECK(sm_clun);
  CHECK(sm_cllt);
  CHECK(sm_crut);
  CHECK(sm_crln);
  CHECK(sm_rlut_unit);
  CHECK(sm_rrln);
  return check_report();
}
