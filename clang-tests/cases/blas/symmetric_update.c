// Symmetric updates: cblas_dsyr, cblas_dsyr2, cblas_dsyr2k in both layouts,
// upper and lower triangles, transposed or not (4x4 and 4x3 shapes, leading
// dimension 6, strides 2 and -1), and the Fortran dsyr_/dsyr2k_ from C
// (alpha and beta by reference); alpha and beta active. Only the stored
// triangle is read and written. Reverse gradients against central
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

#define SYR(NAME, LAY, UP, INCX) LOSS(NAME, cblas_dsyr(LAY, UP, N, al, B, INCX, X, LD))
#define SYR2(NAME, LAY, UP, INCX, INCY)                                                        \
  LOSS(NAME, cblas_dsyr2(LAY, UP, N, al, A, INCX, B, INCY, X, LD))
#define SYR2K(NAME, LAY, UP, TR)                                                               \
  LOSS(NAME, cblas_dsyr2k(LAY, UP, TR, N, M, al, A, LD, B, LD, be, X, LD))

void dsyr_(const char *, const int *, const double *, const double *, const int *, double *,
           const int *, size_t);
void dsyr2k_(const char *, const char *, const int *, const int *, const double *,
             const double *, const int *, const double *, const int *, const double *,
             double *, const int *, size_t, size_t);

SYR(syr_cu, CblasColMajor, CblasUpper, 2)
SYR(syr_cl, CblasColMajor, CblasLower, -1)
SYR(syr_rl, CblasRowMajor, CblasLower, 1)
SYR2(syr2_cu, CblasColMajor, CblasUpper, 2, 1)
SYR2(syr2_cl, CblasColMajor, CblasLower, 1, -1)
SYR2(syr2_ru, CblasRowMajor, CblasUpper, -1, 2)
SYR2K(syr2k_cun, CblasColMajor, CblasUpper, CblasNoTrans)
SYR2K(syr2k_clt, CblasColMajor, CblasLower, CblasTrans)
SYR2K(syr2k_rln, CblasRowMajor, CblasLower, CblasNoTrans)
SYR2K(syr2k_rut, CblasRowMajor, CblasUpper, CblasTrans)
LOSS(fortran_syr, int n = N; int inc = 2; int ld = LD; double a = al;
     dsyr_("U", &n, &a, A, &inc, X, &ld, 1))
LOSS(fortran_syr2k, int n = N; int k = M; int ld = LD; double a = al; double b = be;
     dsyr2k_("L", "T", &n, &k, &a, A, &ld, B, &ld, &b, X, &ld, 1, 1))

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
  CHECK(syr_cu);
  CHECK(syr_cl);
  CHECK(syr_rl);
  CHECK(syr2_cu);
  CHECK(syr2_cl);
  CHECK(syr2_ru);
  CHECK(syr2k_cun);
  CHECK(syr2k_clt);
  CHECK(syr2k_rln);
  CHECK(syr2k_rut);
  CHECK(fortran_syr);
  CHECK(fortran_syr2k);
  return check_report();
}
