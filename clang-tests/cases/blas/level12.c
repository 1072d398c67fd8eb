// CBLAS level 1 and 2 (double): gemv and ger in both layouts and both
// transposes, dot, axpy, scal, copy, nrm2, asum; strides 2 and -3 (negative
// increments), leading dimension 6 for 3x5 matrices, alpha/beta active.
// Reverse gradients against central finite differences over every entry of
// every buffer (untouched entries get zero), forward mode against finite
// differences and against the reverse gradient.
// LIBS: -lopenblas
#include <cblas.h>
#include "check.h"

typedef struct { double dal, dbe; } D2;
D2 __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { M = 3, N = 5, LDA = 6, LEN = 40 };
static double W[LEN];

typedef double (*loss_fn)(double *x, double *y, double *A, double al, double be);

static double sumsq(const double *v) {
  double s = 0;
  for (int i = 0; i < LEN; i++) s += W[i] * v[i] * v[i];
  return s;
}

#define LOSS(NAME, BODY)                                                                       \
  __attribute__((noinline)) static double NAME(double *x, double *y, double *A, double al,     \
                                               double be) {                                    \
    BODY                                                                                       \
  }                                                                                            \
  static D2 NAME##_rev(double *x, double *dx, double *y, double *dy, double *A, double *dA,    \
                       double al, double be) {                                                 \
    return __enzyme_autodiff((void *)NAME, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_dup,   \
                             A, dA, al, be);                                                   \
  }                                                                                            \
  static double NAME##_fwd(double *x, double *tx, double *y, double *ty, double *A,            \
                           double *tA, double al, double tal, double be, double tbe) {         \
    return __enzyme_fwddiff((void *)NAME, enzyme_dup, x, tx, enzyme_dup, y, ty, enzyme_dup, A, \
                            tA, al, tal, be, tbe);                                             \
  }

#define GEMV(NAME, LAY, TR)                                                                    \
  LOSS(NAME, double Y[LEN]; for (int i = 0; i < LEN; i++) Y[i] = y[i];                         \
       cblas_dgemv(LAY, TR, M, N, al, A, LDA, x, 2, be, Y, -3); return sumsq(Y);)
GEMV(gemv_cn, CblasColMajor, CblasNoTrans)
GEMV(gemv_ct, CblasColMajor, CblasTrans)
GEMV(gemv_rn, CblasRowMajor, CblasNoTrans)
GEMV(gemv_rt, CblasRowMajor, CblasTrans)

#define GER(NAME, LAY)                                                                         \
  LOSS(NAME, double B[LEN]; for (int i = 0; i < LEN; i++) B[i] = A[i];                         \
       cblas_dger(LAY, M, N, al * be, x, -2, y, 3, B, LDA); return sumsq(B);)
GER(ger_c, CblasColMajor)
GER(ger_r, CblasRowMajor)

LOSS(dot, return cblas_ddot(N, x, 2, y, -3) * cblas_ddot(M, A, 1, x, 1) + al * be;)
LOSS(axpy, double Y[LEN]; for (int i = 0; i < LEN; i++) Y[i] = y[i];
     cblas_daxpy(N, al, x, -2, Y, 3); return sumsq(Y) * be;)
LOSS(scal, double X[LEN]; for (int i = 0; i < LEN; i++) X[i] = x[i];
     cblas_dscal(N, al, X, 3); cblas_dscal(M, be, X + 1, -2); return sumsq(X);)
LOSS(copy, double Y[LEN]; for (int i = 0; i < LEN; i++) Y[i] = y[i];
     cblas_dcopy(N, x, 2, Y, -3); return sumsq(Y) * al;)
LOSS(nrm2, return cblas_dnrm2(N, x, -3) * be + al * cblas_dnrm2(M, A, 2);)
LOSS(asum, return cblas_dasum(N, x, 2) * al + be * cblas_dasum(M, A, -1);)

typedef D2 (*rev_fn)(double *, double *, double *, double *, double *, double *, double,
                     double);
typedef double (*fwd_fn)(double *, double *, double *, double *, double *, double *, double,
                         double, double, double);

static void check(const char *name, loss_fn f, rev_fn rev, fwd_fn fwd) {
  double x[LEN], y[LEN], A[LEN], dx[LEN] = {0}, dy[LEN] = {0}, dA[LEN] = {0};
  double tx[LEN], ty[LEN], tA[LEN];
  for (int i = 0; i < LEN; i++) {
    // away from 0 (asum's kink)
    x[i] = (i % 2 ? -1 : 1) * (0.4 + 0.3 * sin(0.7 * i));
    y[i] = cos(0.3 * i + 0.2);
    A[i] = (i % 3 ? 1 : -1) * (0.5 + 0.2 * cos(1.3 * i));
    tx[i] = sin(1.1 * i + 0.3);
    ty[i] = cos(0.5 * i);
    tA[i] = sin(0.9 * i - 0.4);
  }
  double al = 0.8, be = -0.6, tal = 0.4, tbe = -0.7, h = 1e-5;
  D2 r = rev(x, dx, y, dy, A, dA, al, be);
  char what[128];
  snprintf(what, sizeof what, "%s dx", name);
  CHECK_ARRAY_FD(what, x, LEN, dx, h, f(x, y, A, al, be), 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s dy", name);
  CHECK_ARRAY_FD(what, y, LEN, dy, h, f(x, y, A, al, be), 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s dA", name);
  CHECK_ARRAY_FD(what, A, LEN, dA, h, f(x, y, A, al, be), 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s dalpha", name);
  CHECK_CLOSE(what, r.dal, FD_AT(al, h, f(x, y, A, al, be)), 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s dbeta", name);
  CHECK_CLOSE(what, r.dbe, FD_AT(be, h, f(x, y, A, al, be)), 1e-6, 1e-6);
  double t = fwd(x, tx, y, ty, A, tA, al, tal, be, tbe);
  double xp[LEN], xm[LEN], yp[LEN], ym[LEN], Ap[LEN], Am[LEN];
  shift_along(xp, x, tx, h, LEN), shift_along(xm, x, tx, -h, LEN);
  shift_along(yp, y, ty, h, LEN), shift_along(ym, y, ty, -h, LEN);
  shift_along(Ap, A, tA, h, LEN), shift_along(Am, A, tA, -h, LEN);
  double dot = r.dal * tal + r.dbe * tbe + dotv(dx, tx, LEN) + dotv(dy, ty, LEN) + dotv(dA, tA, LEN);
  double fdd = (f(xp, yp, Ap, al + h * tal, be + h * tbe) -
                f(xm, ym, Am, al - h * tal, be - h * tbe)) / (2 * h);
  snprintf(what, sizeof what, "%s forward", name);
  CHECK_CLOSE(what, t, fdd, 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s forward vs reverse", name);
  CHECK_CLOSE(what, t, dot, 1e-10, 1e-10);
}

#define CHECK(NAME) check(#NAME, NAME, NAME##_rev, NAME##_fwd)

int main(void) {
  for (int i = 0; i < LEN; i++) W[i] = 1.0 + 0.1 * (i % 7);
  CHECK(gemv_cn);
  CHECK(gemv_ct);
  CHECK(gemv_rn);
  CHECK(gemv_rt);
  CHECK(ger_c);
  CHECK(ger_r);
  CHECK(dot);
  CHECK(axpy);
  CHECK(scal);
  CHECK(copy);
  CHECK(nrm2);
  CHECK(asum);
  return check_report();
}
