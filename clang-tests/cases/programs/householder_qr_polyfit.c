// Least-squares polynomial fitting through a Householder QR, as a numerical-methods code writes
// it: a Vandermonde matrix in Chebyshev form on a column-major heap array, Householder
// reflectors built with copysign(norm, x0) (the sign choice avoids cancellation), applied column
// by column, back substitution for the coefficients, then the fitted curve's smoothness penalty
// and the residual at held-out points. The user wants the derivative of the held-out error with
// respect to the noisy samples y (how each sample moves the validation score) and the data
// weights, by reverse mode and by split mode (the forward part in one function, the reverse
// later with the tape), plus forward mode.
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences,
// forward vs reverse, split vs one-call reverse.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

#define M 16 /* samples */
#define P 5  /* coefficients */

static double cheb(int k, double x) {
  double t0 = 1.0, t1 = x;
  if (k == 0) return t0;
  for (int i = 1; i < k; i++) {
    double t2 = 2 * x * t1 - t0;
    t0 = t1, t1 = t2;
  }
  return t1;
}

/* in place QR of A (m x p, column-major) with b transformed alongside; returns R in A */
static void householder(double *A, double *b, int m, int p) {
  double *v = malloc(sizeof(double) * m);
  for (int k = 0; k < p; k++) {
    double nrm = 0.0;
    for (int i = k; i < m; i++) nrm += A[k * m + i] * A[k * m + i];
    nrm = sqrt(nrm);
    double alpha = -copysign(nrm, A[k * m + k]);
    for (int i = k; i < m; i++) v[i] = A[k * m + i];
    v[k] -= alpha;
    double vv = 0.0;
    for (int i = k; i < m; i++) vv += v[i] * v[i];
    for (int j = k; j < p; j++) {
      double s = 0.0;
      for (int i = k; i < m; i++) s += v[i] * A[j * m + i];
      s = 2.0 * s / vv;
      for (int i = k; i < m; i++) A[j * m + i] -= s * v[i];
    }
    double s = 0.0;
    for (int i = k; i < m; i++) s += v[i] * b[i];
    s = 2.0 * s / vv;
    for (int i = k; i < m; i++) b[i] -= s * v[i];
  }
  free(v);
}

static void back_substitute(const double *R, const double *qb, double *c, int m, int p) {
  for (int i = p - 1; i >= 0; i--) {
    double s = qb[i];
    for (int j = i + 1; j < p; j++) s -= R[j * m + i] * c[j];
    c[i] = s / R[i * m + i];
  }
}

/* weighted fit of (xs, y) then held-out squared error + curvature penalty */
double validation_error(const double *y, const double *w, const double *xs, const double *xv,
                        const double *yv, int nv) {
  double *A = malloc(sizeof(double) * M * P), *b = malloc(sizeof(double) * M), c[P];
  for (int i = 0; i < M; i++) {
    double sw = sqrt(w[i]);
    b[i] = sw * y[i];
    for (int k = 0; k < P; k++) A[k * M + i] = sw * cheb(k, xs[i]);
  }
  householder(A, b, M, P);
  back_substitute(A, b, c, M, P);
  free(A), free(b);
  double err = 0.0;
  for (int j = 0; j < nv; j++) {
    double f = 0.0;
    for (int k = 0; k < P; k++) f += c[k] * cheb(k, xv[j]);
    err += (f - yv[j]) * (f - yv[j]);
  }
  double pen = 0.0;
  for (int k = 2; k < P; k++) pen += k * k * c[k] * c[k];
  return err / nv + 1e-3 * pen;
}

typedef struct {
  const double *w, *xs, *xv, *yv;
  int nv;
} Data;

static double f_y(const double *y, const void *ctx) {
  const Data *d = ctx;
  return validation_error(y, d->w, d->xs, d->xv, d->yv, d->nv);
}

int main(void) {
  double xs[M], y[M], w[M], xv[7], yv[7];
  unsigned s = 3;
  for (int i = 0; i < M; i++) {
    xs[i] = -1.0 + 2.0 * i / (M - 1);
    y[i] = exp(xs[i]) * sin(2 * xs[i]) + 0.05 * prand(&s);
    w[i] = 1.0 + 0.5 * cos(3.0 * xs[i]);
  }
  for (int j = 0; j < 7; j++) xv[j] = -0.9 + 0.3 * j, yv[j] = exp(xv[j]) * sin(2 * xv[j]);
  Data d = {w, xs, xv, yv, 7};
  double dy[M] = {0}, dw[M] = {0};
  __enzyme_autodiff((void *)validation_error, enzyme_dup, y, dy, enzyme_dup, w, dw, enzyme_const, xs,
                    enzyme_const, xv, enzyme_const, yv, enzyme_const, 7);
  CHECK_GRAD_FD("derr/dy", f_y, &d, y, M, dy, 1e-5, 1e-9);
  CHECK_ARRAY_FD("derr/dw", w, M, dw, 1e-6, validation_error(y, w, xs, xv, yv, 7), 1e-5, 1e-9);

  double ty[M], tw[M];
  for (int i = 0; i < M; i++) ty[i] = cos(0.9 * i), tw[i] = 0.1 * sin(0.5 * i);
  double t = __enzyme_fwddiff((void *)validation_error, enzyme_dup, y, ty, enzyme_dup, w, tw, enzyme_const, xs,
                              enzyme_const, xv, enzyme_const, yv, enzyme_const, 7);
  CHECK_CLOSE("forward vs reverse", t, dotv(dy, ty, M) + dotv(dw, tw, M), 1e-9, 1e-12);

  double sy[M] = {0}, sw[M] = {0};
  void *tape = __enzyme_augmentfwd((void *)validation_error, enzyme_dup, y, sy, enzyme_dup, w, sw, enzyme_const, xs,
                                   enzyme_const, xv, enzyme_const, yv, enzyme_const, 7);
  __enzyme_reverse((void *)validation_error, enzyme_dup, y, sy, enzyme_dup, w, sw, enzyme_const, xs, enzyme_const, xv,
                   enzyme_const, yv, enzyme_const, 7, 2.0, tape);
  for (int i = 0; i < M; i++) sy[i] *= 0.5, sw[i] *= 0.5;
  CHECK_ARRAY_CLOSE("split dy", sy, dy, M, 1e-12, 1e-15);
  CHECK_ARRAY_CLOSE("split dw", sw, dw, M, 1e-12, 1e-15);
  return check_report();
}
