// Values read from the next sweep's snapshot: in K Jacobi sweeps with a memcpy copy-back
// (xn[i] = s / v[p0]; memcpy(x, xn)), the sweep's quotient is what the next sweep's snapshot of x
// holds at row i (the last sweep's: a copy of x made where the reverse sweep starts), so the
// reverse sweep reads it there instead of taping the numerator s per row (`-ferment-print-tape`
// lists no cached value). Variants, each checked against central finite differences over v and
// b, with 0, 1, 2 and 4 sweeps:
//   quotient    the benchmark's shape: read from the snapshot,
//   descending  rows visited from the last down (index step -1; the snapshot heuristic wants a
//               row loop counting up to x's length, so x and s are taped),
//   nonlinear   xn[i] = exp(s / v[p0]): exp's partial (its result) is read from the snapshot,
//               the division's partial still needs s (taped),
//   moved       the copy-back as memmove (two different blocks: the same as memcpy): read from it,
//   stop_early  a data-independent break after the copy: read from it,
//   after_copy  x[0] rewritten after the copy in every sweep: the snapshot no longer holds
//               the stored value (taped),
//   break_first a break between the row loop and the copy: the last sweep's values never
//               reach x (taped),
//   rescaled    x rescaled after the sweeps: x no longer holds the last sweep's values when
//               the reverse sweep starts (taped).
// RUN: clang opt
#include "check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);

#define M 4
#define NR (M * M)
#define NNZMAX (5 * NR)

static int ROWPTR[NR + 1], COL[NNZMAX];
static long NNZ, ITERS;
static double V[NNZMAX], B[NR];

__attribute__((noinline)) double quotient(long n, long iters, const int *restrict rowptr, const int *restrict col,
                                          const double *restrict v, const double *restrict b) {
  double *x = calloc(n, sizeof(double));
  double *xn = malloc(sizeof(double) * n);
  for (long k = 0; k < iters; k++) {
    for (long i = 0; i < n; i++) {
      int p0 = rowptr[i], p1 = rowptr[i + 1];
      double s = b[i];
      for (int p = p0 + 1; p < p1; p++)
        s -= v[p] * x[col[p]];
      xn[i] = s / v[p0];
    }
    memcpy(x, xn, sizeof(double) * n);
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * x[i] * (1.0 + 0.1 * (double)i);
  free(x);
  free(xn);
  return 0.5 * f;
}

__attribute__((noinline)) double descending(long n, long iters, const int *restrict rowptr, const int *restrict col,
                                            const double *restrict v, const double *restrict b) {
  double *x = malloc(sizeof(double) * n);
  double *xn = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++)
    x[i] = 0.2 * b[i];
  for (long k = 0; k < iters; k++) {
    for (long i = n - 1; i >= 0; i--) {
      int p0 = rowptr[i], p1 = rowptr[i + 1];
      double s = b[i] * (1.0 + 0.1 * (double)k);
      for (int p = p0 + 1; p < p1; p++)
        s -= v[p] * x[col[p]];
      xn[i] = s / v[p0];
    }
    memcpy(x, xn, sizeof(double) * n);
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * x[i] * x[i];
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double nonlinear(long n, long iters, const int *restrict rowptr, const int *restrict col,
                                           const double *restrict v, const double *restrict b) {
  double *x = calloc(n, sizeof(double));
  double *xn = malloc(sizeof(double) * n);
  for (long k = 0; k < iters; k++) {
    for (long i = 0; i < n; i++) {
      int p0 = rowptr[i], p1 = rowptr[i + 1];
      double s = b[i];
      for (int p = p0 + 1; p < p1; p++)
        s -= v[p] * x[col[p]];
      xn[i] = exp(s / v[p0]);
    }
    memcpy(x, xn, sizeof(double) * n);
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * (1.0 + 0.1 * (double)i);
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double moved(long n, long iters, const int *restrict rowptr, const int *restrict col,
                                       const double *restrict v, const double *restrict b) {
  double *x = calloc(n, sizeof(double));
  double *xn = calloc(n, sizeof(double));
  for (long k = 0; k < iters; k++) {
    for (long i = 0; i < n; i++) {
      int p0 = rowptr[i], p1 = rowptr[i + 1];
      double s = b[i] - 0.3 * x[i];
      for (int p = p0 + 1; p < p1; p++)
        s -= v[p] * x[col[p]];
      xn[i] = s / v[p0];
    }
    memmove(x, xn, sizeof(double) * n);
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += sin(x[i]) * (1.0 + 0.1 * (double)i);
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double stop_early(long n, long iters, const int *restrict rowptr, const int *restrict col,
                                            const double *restrict v, const double *restrict b) {
  double *x = calloc(n, sizeof(double));
  double *xn = malloc(sizeof(double) * n);
  for (long k = 0; k < iters + 3; k++) {
    for (long i = 0; i < n; i++) {
      int p0 = rowptr[i], p1 = rowptr[i + 1];
      double s = b[i];
      for (int p = p0 + 1; p < p1; p++)
        s -= v[p] * x[col[p]];
      xn[i] = s / v[p0];
    }
    memcpy(x, xn, sizeof(double) * n);
    if (k + 1 == iters)
      break;
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * x[i];
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double after_copy(long n, long iters, const int *restrict rowptr, const int *restrict col,
                                            const double *restrict v, const double *restrict b) {
  double *x = calloc(n, sizeof(double));
  double *xn = malloc(sizeof(double) * n);
  for (long k = 0; k < iters; k++) {
    for (long i = 0; i < n; i++) {
      int p0 = rowptr[i], p1 = rowptr[i + 1];
      double s = b[i];
      for (int p = p0 + 1; p < p1; p++)
        s -= v[p] * x[col[p]];
      xn[i] = s / v[p0];
    }
    memcpy(x, xn, sizeof(double) * n);
    x[0] = 0.5 * x[0] + b[1];
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * x[i];
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double break_first(long n, long iters, const int *restrict rowptr,
                                             const int *restrict col, const double *restrict v,
                                             const double *restrict b) {
  double *x = calloc(n, sizeof(double));
  double *xn = malloc(sizeof(double) * n);
  double g = 0;
  for (long k = 0; k < iters + 3; k++) {
    for (long i = 0; i < n; i++) {
      int p0 = rowptr[i], p1 = rowptr[i + 1];
      double s = b[i];
      for (int p = p0 + 1; p < p1; p++)
        s -= v[p] * x[col[p]];
      xn[i] = s / v[p0];
    }
    if (k + 1 == iters) {
      g = xn[2] * xn[3];
      break;
    }
    memcpy(x, xn, sizeof(double) * n);
  }
  double f = g;
  for (long i = 0; i < n; i++)
    f += x[i] * x[i];
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double rescaled(long n, long iters, const int *restrict rowptr, const int *restrict col,
                                          const double *restrict v, const double *restrict b) {
  double *x = calloc(n, sizeof(double));
  double *xn = malloc(sizeof(double) * n);
  for (long k = 0; k < iters; k++) {
    for (long i = 0; i < n; i++) {
      int p0 = rowptr[i], p1 = rowptr[i + 1];
      double s = b[i];
      for (int p = p0 + 1; p < p1; p++)
        s -= v[p] * x[col[p]];
      xn[i] = s / v[p0];
    }
    memcpy(x, xn, sizeof(double) * n);
  }
  for (long i = 0; i < n; i++)
    x[i] = x[i] * x[i] + 0.5;
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * (1.0 + 0.1 * (double)i);
  free(x);
  free(xn);
  return f;
}

typedef double (*solver)(long, long, const int *, const int *, const double *, const double *);

static void fd_compare(const char *what, solver f, const double *dv, const double *db) {
  const double h = 1e-6;
  for (long k = 0; k < NNZ; k++) {
    double s = V[k];
    V[k] = s + h;
    double fp = f(NR, ITERS, ROWPTR, COL, V, B);
    V[k] = s - h;
    double fm = f(NR, ITERS, ROWPTR, COL, V, B);
    V[k] = s;
    CHECK_CLOSE(what, dv[k], (fp - fm) / (2 * h), 1e-6, 1e-8);
  }
  for (long k = 0; k < NR; k++) {
    double s = B[k];
    B[k] = s + h;
    double fp = f(NR, ITERS, ROWPTR, COL, V, B);
    B[k] = s - h;
    double fm = f(NR, ITERS, ROWPTR, COL, V, B);
    B[k] = s;
    CHECK_CLOSE(what, db[k], (fp - fm) / (2 * h), 1e-6, 1e-8);
  }
}

/* a macro: the AD call needs the function itself */
#define CHECK_FD(what, f)                                                                                 \
  do {                                                                                                    \
    double dv_[NNZMAX] = {0}, db_[NR] = {0};                                                              \
    __enzyme_autodiff((void *)f, enzyme_const, (long)NR, enzyme_const, ITERS, enzyme_const, ROWPTR,       \
                      enzyme_const, COL, enzyme_dup, V, dv_, enzyme_dup, B, db_);                         \
    fd_compare(what, f, dv_, db_);                                                                        \
  } while (0)

int main(void) {
  long p = 0;
  for (long r = 0; r < M; r++)
    for (long c = 0; c < M; c++) {
      long i = r * M + c;
      ROWPTR[i] = (int)p;
      COL[p++] = (int)i; /* diagonal first */
      if (r > 0)
        COL[p++] = (int)(i - M);
      if (c > 0)
        COL[p++] = (int)(i - 1);
      if (c < M - 1)
        COL[p++] = (int)(i + 1);
      if (r < M - 1)
        COL[p++] = (int)(i + M);
    }
  ROWPTR[NR] = (int)p;
  NNZ = p;
  for (long i = 0; i < NR; i++)
    for (long q = ROWPTR[i]; q < ROWPTR[i + 1]; q++)
      V[q] = q == ROWPTR[i] ? 4.5 + 0.07 * (double)((q * 5) % 11) : -0.2 - 0.05 * (double)((q * 3) % 7);
  for (long i = 0; i < NR; i++)
    B[i] = 0.3 + 0.11 * (double)((i * 7) % 13) - 0.4 * (double)(i % 3);
  const long sweeps[4] = {0, 1, 2, 4};
  for (int t = 0; t < 4; t++) {
    ITERS = sweeps[t];
    CHECK_FD("quotient vs central differences", quotient);
    CHECK_FD("descending vs central differences", descending);
    CHECK_FD("nonlinear vs central differences", nonlinear);
    CHECK_FD("moved vs central differences", moved);
    CHECK_FD("stop_early vs central differences", stop_early);
    CHECK_FD("after_copy vs central differences", after_copy);
    CHECK_FD("break_first vs central differences", break_first);
    CHECK_FD("rescaled vs central differences", rescaled);
  }
  return check_report();
}
