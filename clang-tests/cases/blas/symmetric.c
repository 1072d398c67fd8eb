// Symmetric BLAS: cblas_dsymv, cblas_dsymm, cblas_dsyrk in both layouts,
// upper and lower triangles, left and right, transposed or not (4x4 and 3x4
// shapes, leading dimension 6, strides 2 and -1), alpha and beta active. The
// derivative of a symmetric matrix goes to the triangle stored (an
// off-diagonal entry stands for two). Reverse gradients against central
// finite differences over every entry of every buffer, forward mode against
// finite differences and the reverse gradient.
// LIBS: -lopenblas
#include <cblas.h>
#include "check.h"

typedef struct { double dal, dbe; } D2;
D2 __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { N = 4, M = 3, LD = 6, LEN = 30 };
static double W[LEN];

typedef double (*loss_fn)(double *A, double *B, double *C, double al, double be);

static double sumsq(const double *v) {
  double s = 0;
  for (int i = 0; i < LEN; i++) s += W[i] * v[i] * v[i];
  return s;
}

#define LOSS(NAME, CALL)                                                                       \
  __attribute__((noinline)) static double NAME(double *A, double *B, double *C, double al,     \
                                               double be) {                                    \
    double X[LEN];                                                                             \
    for (int i = 0; i < LEN; i++) X[i] = 1.5 * C[i];                                           \
    CALL;                                                                                      \
    return sumsq(X);                                                                           \
  }                                                                                            \
  static D2 NAME##_rev(double *A, double *dA, double *B, double *dB, double *C, double *dC,    \
                       double al, double be) {                                                 \
    return __enzyme_autodiff((void *)NAME, enzyme_dup, A, dA, enzyme_dup, B, dB, enzyme_dup,   \
                             C, dC, al, be);                                                   \
  }                                                                                            \
  static double NAME##_fwd(double *A, double *tA, double *B, double *tB, double *C,            \
                           double *tC, double al, double tal, double be, double tbe) {         \
    return __enzyme_fwddiff((void *)NAME, enzyme_dup, A, tA, enzyme_dup, B, tB, enzyme_dup, C, \
                            tC, al, tal, be, tbe);                                             \
  }

#define SYMV(NAME, LAY, UP, INCX, INCY)                                                        \
  LOSS(NAME, cblas_dsymv(LAY, UP, N, al, A, LD, B, INCX, be, X, INCY))
#define SYMM(NAME, LAY, SD, UP) LOSS(NAME, cblas_dsymm(LAY, SD, UP, M, N, al, A, LD, B, LD, be, X, LD))
#define SYRK(NAME, LAY, UP, TR) LOSS(NAME, cblas_dsyrk(LAY, UP, TR, N, M, al, A, LD, be, X, LD))

SYMV(symv_cu, CblasColMajor, CblasUpper, 2, 1)
SYMV(symv_cl, CblasColMajor, CblasLower, 1, -1)
SYMV(symv_ru, CblasRowMajor, CblasUpper, -1, 2)
SYMM(symm_clu, CblasColMajor, CblasLeft, CblasUpper)
SYMM(symm_crl, CblasColMajor, CblasRight, CblasLower)
SYMM(symm_rll, CblasRowMajor, CblasLeft, CblasLower)
SYMM(symm_rru, CblasRowMajor, CblasRight, CblasUpper)
SYRK(syrk_cun, CblasColMajor, CblasUpper, CblasNoTrans)
SYRK(syrk_clt, CblasColMajor, CblasLower, CblasTrans)
SYRK(syrk_rln, CblasRowMajor, CblasLower, CblasNoTrans)
SYRK(syrk_rut, CblasRowMajor, CblasUpper, CblasTrans)

typedef D2 (*rev_fn)(double *, double *, double *, double *, double *, double *, double,
                     double);
typedef double (*fwd_fn)(double *, double *, double *, double *, double *, double *, double,
                         double, double, double);

static void check(const char *name, loss_fn f, rev_fn rev, fwd_fn fwd) {
  double A[LEN], B[LEN], C[LEN], dA[LEN] = {0}, dB[LEN] = {0}, dC[LEN] = {0};
  double tA[LEN], tB[LEN], tC[LEN];
  for (int i = 0; i < LEN; i++) {
    A[i] = sin(0.9 * i + 0.4);
    B[i] = cos(0.7 * i - 0.3);
    C[i] = sin(0.5 * i + 1.0);
    tA[i] = sin(1.3 * i);
    tB[i] = cos(0.4 * i + 0.2);
    tC[i] = cos(1.1 * i - 0.5);
  }
  double al = 0.9, be = -0.7, tal = -0.6, tbe = 0.4, h = 1e-6;
  D2 r = rev(A, dA, B, dB, C, dC, al, be);
  char what[128];
  snprintf(what, sizeof what, "%s dA", name);
  CHECK_ARRAY_FD(what, A, LEN, dA, h, f(A, B, C, al, be), 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s dB", name);
  CHECK_ARRAY_FD(what, B, LEN, dB, h, f(A, B, C, al, be), 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s dC", name);
  CHECK_ARRAY_FD(what, C, LEN, dC, h, f(A, B, C, al, be), 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s dalpha", name);
  CHECK_CLOSE(what, r.dal, FD_AT(al, h, f(A, B, C, al, be)), 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s dbeta", name);
  CHECK_CLOSE(what, r.dbe, FD_AT(be, h, f(A, B, C, al, be)), 1e-6, 1e-6);
  double t = fwd(A, tA, B, tB, C, tC, al, tal, be, tbe);
  double Ap[LEN], Am[LEN], Bp[LEN], Bm[LEN], Cp[LEN], Cm[LEN];
  shift_along(Ap, A, tA, h, LEN), shift_along(Am, A, tA, -h, LEN);
  shift_along(Bp, B, tB, h, LEN), shift_along(Bm, B, tB, -h, LEN);
  shift_along(Cp, C, tC, h, LEN), shift_along(Cm, C, tC, -h, LEN);
  double dot = r.dal * tal + r.dbe * tbe + dotv(dA, tA, LEN) + dotv(dB, tB, LEN) + dotv(dC, tC, LEN);
  double fdd = (f(Ap, Bp, Cp, al + h * tal, be + h * tbe) -
                f(Am, Bm, Cm, al - h * tal, be - h * tbe)) / (2 * h);
  snprintf(what, sizeof what, "%s forward", name);
  CHECK_CLOSE(what, t, fdd, 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s forward vs reverse", name);
  CHECK_CLOSE(what, t, dot, 1e-10, 1e-10);
}

#define CHECK(NAME) check(#NAME, NAME, NAME##_rev, NAME##_fwd)

int main(void) {
  for (int i = 0; i < LEN; i++) W[i] = 1.0 + 0.1 * (i % 7);
  CHECK(symv_cu);
  CHECK(symv_cl);
  CHECK(symv_ru);
  CHECK(symm_clu);
  CHECK(symm_crl);
  CHECK(symm_rll);
  CHECK(symm_rru);
  CHECK(syrk_cun);
  CHECK(syrk_clt);
  CHECK(syrk_rln);
  CHECK(syrk_rut);
  return check_report();
}
