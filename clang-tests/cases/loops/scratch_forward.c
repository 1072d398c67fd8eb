// A scratch buffer filled by one loop and read back by later loops in every iteration of an
// outer loop (GMM's xc[d] = x[d] - mean[d]): the buffer is rewritten every outer iteration, so
// its loads cannot be read again in the reverse sweep; when the filling loop stores every
// element the later loop reads (same index, same bounds, nothing else writing the buffer in the
// outer loop) and the stored value is rebuilt from memory nothing overwrites, the reverse sweep
// rebuilds the loads instead of taping them. The variants break one condition each and must
// still be right (taped):
//   forwarded     fill xc, then two loops read xc[i] (the GMM shape),
//   rewritten     a later loop also writes xc (not the only writer),
//   short_fill    the fill loop stops one element early (xc[m-1] keeps the value written
//                 before the outer loop: forwarding it would be wrong),
//   shifted_read  the reader reads xc[i + 1] (not the filling index),
//   cond_fill     the fill skips odd outer iterations (xc keeps the previous values).
// Oracles: central finite differences of the primal, and a hand-written adjoint for the GMM
// shape.
// RUN: clang opt
#include "check.h"
#include <stdlib.h>

void __enzyme_autodiff(void *, ...);

#define NP 7
#define D 5

__attribute__((noinline)) double forwarded(long n, long d, const double *restrict x, const double *restrict mu,
                                           const double *restrict q) {
  double *xc = malloc(sizeof(double) * d), *y = malloc(sizeof(double) * d);
  double f = 0;
  for (long p = 0; p < n; p++) {
    for (long i = 0; i < d; i++)
      xc[i] = x[p * d + i] - mu[i];
    for (long i = 0; i < d; i++)
      y[i] = q[i] * xc[i];
    for (long i = 0; i < d; i++) {
      double c = xc[i];
      for (long j = i + 1; j < d; j++)
        y[j] += 0.1 * (double)(j - i) * q[j] * c;
    }
    double s = 0;
    for (long i = 0; i < d; i++)
      s += y[i] * y[i];
    f += s;
  }
  free(xc);
  free(y);
  return f;
}

/* y = A xc with A[i][i] = q[i], A[j][i] = 0.1 (j - i) q[j] (j > i); f = sum_p |y|^2 */
static void forwarded_adjoint(long n, long d, const double *x, const double *mu, const double *q, double *dx,
                              double *dmu, double *dq) {
  double xc[D], y[D], yb[D], cb[D];
  for (long p = 0; p < n; p++) {
    for (long i = 0; i < d; i++)
      xc[i] = x[p * d + i] - mu[i];
    for (long j = 0; j < d; j++) {
      y[j] = q[j] * xc[j];
      for (long i = 0; i < j; i++)
        y[j] += 0.1 * (double)(j - i) * q[j] * xc[i];
    }
    for (long j = 0; j < d; j++) {
      yb[j] = 2 * y[j];
      cb[j] = 0;
    }
    for (long j = 0; j < d; j++) {
      dq[j] += yb[j] * xc[j];
      cb[j] += yb[j] * q[j];
      for (long i = 0; i < j; i++) {
        dq[j] += yb[j] * 0.1 * (double)(j - i) * xc[i];
        cb[i] += yb[j] * 0.1 * (double)(j - i) * q[j];
      }
    }
    for (long i = 0; i < d; i++) {
      dx[p * d + i] += cb[i];
      dmu[i] -= cb[i];
    }
  }
}

__attribute__((noinline)) double rewritten(long n, long d, const double *restrict x, const double *restrict mu) {
  double *xc = malloc(sizeof(double) * d);
  double f = 0;
  for (long p = 0; p < n; p++) {
    for (long i = 0; i < d; i++)
      xc[i] = x[p * d + i] - mu[i];
    for (long i = 0; i < d; i++) {
      f += xc[i] * xc[i] * mu[i];
      xc[i] = xc[i] * 0.5; /* a second writer of xc inside the outer loop */
    }
    for (long i = 0; i < d; i++)
      f += sin(xc[i]);
  }
  free(xc);
  return f;
}

__attribute__((noinline)) double short_fill(long n, long m, const double *restrict x, const double *restrict mu) {
  double *xc = malloc(sizeof(double) * m);
  for (long i = 0; i < m; i++)
    xc[i] = 1.0;
  double f = 0;
  for (long p = 0; p < n; p++) {
    long k = m - 1;
    for (long i = 0; i < k; i++)
      xc[i] = x[p * m + i] - mu[i];
    for (long i = 0; i < m; i++)
      f += xc[i] * xc[i] * (1.0 + 0.1 * (double)i); /* xc[m-1] is still 1 */
  }
  free(xc);
  return f;
}

__attribute__((noinline)) double shifted_read(long n, long d, const double *restrict x, const double *restrict mu) {
  double *xc = malloc(sizeof(double) * (d + 1));
  xc[d] = 0.5;
  double f = 0;
  for (long p = 0; p < n; p++) {
    for (long i = 0; i < d; i++)
      xc[i] = x[p * d + i] - mu[i];
    for (long i = 0; i < d; i++)
      f += xc[i + 1] * xc[i + 1] * mu[i];
  }
  free(xc);
  return f;
}

__attribute__((noinline)) double cond_fill(long n, long d, const double *restrict x, const double *restrict mu) {
  double *xc = calloc(d, sizeof(double));
  double f = 0;
  for (long p = 0; p < n; p++) {
    if (p % 2 == 0)
      for (long i = 0; i < d; i++)
        xc[i] = x[p * d + i] - mu[i];
    for (long i = 0; i < d; i++)
      f += xc[i] * xc[i] * (1.0 + 0.3 * (double)p);
  }
  free(xc);
  return f;
}

static double X[NP * D], MU[D], Q[D];

/* central differences over x and mu for f(n, d, x, mu) (a macro: the AD call needs the
   function itself) */
#define CHECK_FD(what, f, d)                                                                     \
  do {                                                                                           \
    double dx_[NP * D] = {0}, dmu_[D] = {0};                                                     \
    __enzyme_autodiff((void *)f, enzyme_const, (long)NP, enzyme_const, (long)(d), enzyme_dup, X, \
                      dx_, enzyme_dup, MU, dmu_);                                                \
    fd_compare(what, f, d, dx_, dmu_);                                                           \
  } while (0)

static void fd_compare(const char *what, double (*f)(long, long, const double *, const double *), long d,
                       const double *dx, const double *dmu) {
  const double h = 1e-6;
  for (int k = 0; k < NP * d; k++) {
    double v = X[k];
    X[k] = v + h;
    double fp = f(NP, d, X, MU);
    X[k] = v - h;
    double fm = f(NP, d, X, MU);
    X[k] = v;
    CHECK_CLOSE(what, dx[k], (fp - fm) / (2 * h), 1e-6, 1e-8);
  }
  for (int k = 0; k < d; k++) {
    double v = MU[k];
    MU[k] = v + h;
    double fp = f(NP, d, X, MU);
    MU[k] = v - h;
    double fm = f(NP, d, X, MU);
    MU[k] = v;
    CHECK_CLOSE(what, dmu[k], (fp - fm) / (2 * h), 1e-6, 1e-8);
  }
}

int main(void) {
  for (int k = 0; k < NP * D; k++)
    X[k] = 0.3 + 0.11 * ((k * 7) % 13) - 0.05 * (k % 3);
  for (int k = 0; k < D; k++) {
    MU[k] = 0.2 + 0.07 * k;
    Q[k] = 1.1 - 0.13 * k;
  }
  double dx[NP * D] = {0}, dmu[D] = {0}, dq[D] = {0};
  double hx[NP * D] = {0}, hmu[D] = {0}, hq[D] = {0};
  __enzyme_autodiff((void *)forwarded, enzyme_const, (long)NP, enzyme_const, (long)D, enzyme_dup, X, dx,
                    enzyme_dup, MU, dmu, enzyme_dup, Q, dq);
  forwarded_adjoint(NP, D, X, MU, Q, hx, hmu, hq);
  for (int k = 0; k < NP * D; k++)
    CHECK_CLOSE("forwarded dx vs hand-written", dx[k], hx[k], 1e-12, 1e-13);
  for (int k = 0; k < D; k++) {
    CHECK_CLOSE("forwarded dmu vs hand-written", dmu[k], hmu[k], 1e-12, 1e-13);
    CHECK_CLOSE("forwarded dq vs hand-written", dq[k], hq[k], 1e-12, 1e-13);
  }
  CHECK_FD("rewritten vs central differences", rewritten, D);
  CHECK_FD("short_fill vs central differences", short_fill, D);
  CHECK_FD("shifted_read vs central differences", shifted_read, D);
  CHECK_FD("cond_fill vs central differences", cond_fill, D);
  return check_report();
}
