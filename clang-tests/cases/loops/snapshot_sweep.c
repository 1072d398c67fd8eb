// Snapshots of an overwritten scratch buffer: K Jacobi sweeps over a CSR matrix read the iterate
// x[col[p]] once per nonzero, and the copy-back after each sweep overwrites x, so the loads
// cannot be read again in the reverse sweep. When nothing writes x between the start of a sweep
// and the loads, the forward sweep copies x once per sweep and the reverse sweep reads the loads
// from that copy instead of taping one value per nonzero (`-ferment-print-tape` says
// "snapshot"). Variants, each checked against central finite differences over v and b:
//   jacobi        the benchmark's shape (element-wise copy-back loop): snapshot,
//   jacobi_memcpy the copy-back as memcpy: snapshot,
//   ghost         x has ghost cells (x[col[p] + 1]) and a nonlinear use (sin): snapshot,
//   restarts      the sweeps restart from a refilled x inside an outer loop (the refill comes
//                 before the loads, so the snapshot is per sweep; sweep loops of different
//                 lengths, a while loop): snapshot,
//   gauss_seidel  x[i] updated in place inside the row loop, so a later row's load sees this
//                 sweep's values: no snapshot may be taken (taped),
//   pre_touch     a store into x at the top of every sweep, before the row loop: a snapshot at
//                 the sweep's header would miss it (taped),
//   touch_inside  a store into x inside the nonzero loop after the load (the next nonzero's
//                 load may see it): taped.
// RUN: clang opt
#include "check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);

#define M 4
#define NR (M * M)
#define NNZMAX (5 * NR)
#define SWEEPS 3

static int ROWPTR[NR + 1], COL[NNZMAX];
static long NNZ;
static double V[NNZMAX], B[NR];

__attribute__((noinline)) double jacobi(long n, long iters, const int *restrict rowptr, const int *restrict col,
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
    for (long i = 0; i < n; i++)
      x[i] = xn[i];
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * x[i] * (1.0 + 0.1 * (double)i);
  free(x);
  free(xn);
  return 0.5 * f;
}

__attribute__((noinline)) double jacobi_memcpy(long n, long iters, const int *restrict rowptr,
                                               const int *restrict col, const double *restrict v,
                                               const double *restrict b) {
  double *x = malloc(sizeof(double) * n);
  double *xn = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++)
    x[i] = 0.5 * b[i];
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
    f += x[i] * x[i] * x[i];
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double ghost(long n, long iters, const int *restrict rowptr, const int *restrict col,
                                       const double *restrict v, const double *restrict b) {
  double *x = calloc(n + 2, sizeof(double));
  double *xn = malloc(sizeof(double) * n);
  x[0] = 0.25;
  x[n + 1] = -0.5;
  for (long k = 0; k < iters; k++) {
    for (long i = 0; i < n; i++) {
      int p0 = rowptr[i], p1 = rowptr[i + 1];
      double s = b[i] + 0.1 * x[i] * x[i + 2];
      for (int p = p0 + 1; p < p1; p++)
        s -= v[p] * sin(x[col[p] + 1]);
      xn[i] = s / v[p0];
    }
    for (long i = 0; i < n; i++)
      x[i + 1] = xn[i];
  }
  double f = 0;
  for (long i = 0; i < n + 2; i++)
    f += x[i] * x[i];
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double restarts(long n, long iters, const int *restrict rowptr, const int *restrict col,
                                          const double *restrict v, const double *restrict b) {
  double *x = malloc(sizeof(double) * n);
  double *xn = malloc(sizeof(double) * n);
  double f = 0;
  for (long r = 0; r < iters; r++) {
    for (long i = 0; i < n; i++)
      x[i] = 0.3 * (double)r * b[i];
    long k = 0;
    while (k <= r) { /* r + 1 sweeps: instances of different lengths */
      for (long i = 0; i < n; i++) {
        int p0 = rowptr[i], p1 = rowptr[i + 1];
        double s = b[i];
        for (int p = p0 + 1; p < p1; p++)
          s -= v[p] * x[col[p]] * x[col[p]];
        xn[i] = s / v[p0];
      }
      for (long i = 0; i < n; i++)
        x[i] = xn[i];
      k++;
    }
    for (long i = 0; i < n; i++)
      f += x[i] * x[i] * (double)(r + 1);
  }
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double gauss_seidel(long n, long iters, const int *restrict rowptr,
                                              const int *restrict col, const double *restrict v,
                                              const double *restrict b) {
  double *x = calloc(n, sizeof(double));
  for (long k = 0; k < iters; k++) {
    for (long i = 0; i < n; i++) {
      int p0 = rowptr[i], p1 = rowptr[i + 1];
      double s = b[i];
      for (int p = p0 + 1; p < p1; p++)
        s -= v[p] * x[col[p]];
      x[i] = s / v[p0];
    }
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * x[i] * (1.0 + 0.1 * (double)i);
  free(x);
  return f;
}

__attribute__((noinline)) double pre_touch(long n, long iters, const int *restrict rowptr, const int *restrict col,
                                           const double *restrict v, const double *restrict b) {
  double *x = calloc(n, sizeof(double));
  double *xn = malloc(sizeof(double) * n);
  for (long k = 0; k < iters; k++) {
    x[k % n] = x[k % n] * x[k % n] + b[k % n];
    for (long i = 0; i < n; i++) {
      int p0 = rowptr[i], p1 = rowptr[i + 1];
      double s = b[i];
      for (int p = p0 + 1; p < p1; p++)
        s -= v[p] * x[col[p]];
      xn[i] = s / v[p0];
    }
    for (long i = 0; i < n; i++)
      x[i] = xn[i];
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * x[i];
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double touch_inside(long n, long iters, const int *restrict rowptr,
                                              const int *restrict col, const double *restrict v,
                                              const double *restrict b) {
  double *x = malloc(sizeof(double) * n);
  double *xn = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++)
    x[i] = b[i];
  for (long k = 0; k < iters; k++) {
    for (long i = 0; i < n; i++) {
      int p0 = rowptr[i], p1 = rowptr[i + 1];
      double s = b[i];
      for (int p = p0 + 1; p < p1; p++) {
        double xc = x[col[p]];
        s -= v[p] * xc;
        x[col[p]] = 0.9 * xc; /* the next load of this element sees it */
      }
      xn[i] = s / v[p0];
    }
    for (long i = 0; i < n; i++)
      x[i] = xn[i];
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * x[i];
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
    double fp = f(NR, SWEEPS, ROWPTR, COL, V, B);
    V[k] = s - h;
    double fm = f(NR, SWEEPS, ROWPTR, COL, V, B);
    V[k] = s;
    CHECK_CLOSE(what, dv[k], (fp - fm) / (2 * h), 1e-6, 1e-8);
  }
  for (long k = 0; k < NR; k++) {
    double s = B[k];
    B[k] = s + h;
    double fp = f(NR, SWEEPS, ROWPTR, COL, V, B);
    B[k] = s - h;
    double fm = f(NR, SWEEPS, ROWPTR, COL, V, B);
    B[k] = s;
    CHECK_CLOSE(what, db[k], (fp - fm) / (2 * h), 1e-6, 1e-8);
  }
}

/* a macro: the AD call needs the function itself */
#define CHECK_FD(what, f)                                                                                 \
  do {                                                                                                    \
    double dv_[NNZMAX] = {0}, db_[NR] = {0};                                                              \
    __enzyme_autodiff((void *)f, enzyme_const, (long)NR, enzyme_const, (long)SWEEPS, enzyme_const, ROWPTR, \
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
  CHECK_FD("jacobi vs central differences", jacobi);
  CHECK_FD("jacobi_memcpy vs central differences", jacobi_memcpy);
  CHECK_FD("ghost vs central differences", ghost);
  CHECK_FD("restarts vs central differences", restarts);
  CHECK_FD("gauss_seidel vs central differences", gauss_seidel);
  CHECK_FD("pre_touch vs central differences", pre_touch);
  CHECK_FD("touch_inside vs central differences", touch_inside);
  return check_report();
}
