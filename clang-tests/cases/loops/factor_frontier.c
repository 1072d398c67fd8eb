// Factorizations whose inner loops read elements an earlier step finished (a row or column
// frontier across the loop nest): the reverse sweep reads them again instead of taping one value
// per innermost iteration, but only where no later store of the nest can write them. Cases:
//   chol       Cholesky into a scratch factor (column j written in step j only; step j reads
//              columns k < j) + two triangular solves, f = 0.5 |x|^2,
//   lu         LU with partial pivoting (argmax row swapped in place: the pivot row p >= k, so
//              later swaps and updates touch rows > k only) + solve,
//   tri        in-place X <- L^-1 X (row i of X updated from rows k < i, already final),
//   lookahead  step j scales column j by sin of column j + 1, which step j + 1 rewrites: the
//              read value IS overwritten later (must be taped),
//   backpivot  LU-like elimination whose pivot row is the argmax over rows <= k: a later swap may
//              rewrite a row an earlier step read (must be taped),
//   rowahead   in place X[i] *= cos(X[i + 1]): row i + 1 is rewritten by the next iteration,
//   chol2      chol with two rows i per pass and a one-row remainder after them (row i + 1's
//              offset `(i + 1) * n + j`: ScalarEvolution keeps `8 * ((i + 1) * n + j)` whole),
//   chol2r     the same with the remainder row first (the paired loop starts past it),
//   rowahead2  rowahead two rows per pass: row i + 2, read, is rewritten by the next pass
//              (must be taped).
// Oracles: central finite differences of each primal, and forward mode against reverse mode
// (tangent along a fixed direction = gradient . direction). That the first three and chol2,
// chol2r re-read (no tape of one value per innermost iteration) is checked in
// tests/derivative_size.rs.
// RUN: clang
#include "check.h"
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define N 10

__attribute__((noinline)) double chol(long n, const double *restrict a, const double *restrict b) {
  double *l = malloc(sizeof(double) * n * n), *y = malloc(sizeof(double) * n),
         *x = malloc(sizeof(double) * n);
  for (long j = 0; j < n; j++) {
    double s = a[j * n + j];
    for (long k = 0; k < j; k++)
      s -= l[j * n + k] * l[j * n + k];
    double d = sqrt(s);
    l[j * n + j] = d;
    for (long i = j + 1; i < n; i++) {
      double t = a[i * n + j];
      for (long k = 0; k < j; k++)
        t -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = t / d;
    }
  }
  for (long i = 0; i < n; i++) {
    double s = b[i];
    for (long k = 0; k < i; k++)
      s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  for (long i = n - 1; i >= 0; i--) {
    double s = y[i];
    for (long k = i + 1; k < n; k++)
      s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * x[i];
  free(l);
  free(y);
  free(x);
  return 0.5 * f;
}

__attribute__((noinline)) double lu(long n, const double *restrict a0, const double *restrict b) {
  double *a = malloc(sizeof(double) * n * n), *x = malloc(sizeof(double) * n);
  long *perm = malloc(sizeof(long) * n);
  memcpy(a, a0, sizeof(double) * n * n);
  for (long i = 0; i < n; i++)
    perm[i] = i;
  for (long k = 0; k < n; k++) {
    long p = k;
    double best = fabs(a[k * n + k]);
    for (long i = k + 1; i < n; i++) {
      double v = fabs(a[i * n + k]);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (p != k) {
      for (long j = 0; j < n; j++) {
        double t = a[k * n + j];
        a[k * n + j] = a[p * n + j];
        a[p * n + j] = t;
      }
      long t = perm[k];
      perm[k] = perm[p];
      perm[p] = t;
    }
    double inv = 1 / a[k * n + k];
    for (long i = k + 1; i < n; i++) {
      double m = a[i * n + k] * inv;
      a[i * n + k] = m;
      for (long j = k + 1; j < n; j++)
        a[i * n + j] -= m * a[k * n + j];
    }
  }
  for (long i = 0; i < n; i++) {
    double s = b[perm[i]];
    for (long k = 0; k < i; k++)
      s -= a[i * n + k] * x[k];
    x[i] = s;
  }
  for (long i = n - 1; i >= 0; i--) {
    double s = x[i];
    for (long k = i + 1; k < n; k++)
      s -= a[i * n + k] * x[k];
    x[i] = s / a[i * n + i];
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * x[i];
  free(a);
  free(x);
  free(perm);
  return 0.5 * f;
}

/* X (n x n, a copy of x0) <- L^-1 X in place, row by row */
__attribute__((noinline)) double tri(long n, const double *restrict l, const double *restrict x0) {
  double *x = malloc(sizeof(double) * n * n);
  memcpy(x, x0, sizeof(double) * n * n);
  for (long i = 0; i < n; i++) {
    for (long k = 0; k < i; k++)
      for (long c = 0; c < n; c++)
        x[i * n + c] -= l[i * n + k] * x[k * n + c];
    for (long c = 0; c < n; c++)
      x[i * n + c] /= l[i * n + i];
  }
  double f = 0;
  for (long i = 0; i < n * n; i++)
    f += x[i] * x[i] * (1.0 + 0.01 * i);
  free(x);
  return f;
}

__attribute__((noinline)) double lookahead(long n, const double *restrict a0, const double *restrict w) {
  double *a = malloc(sizeof(double) * n * n);
  memcpy(a, a0, sizeof(double) * n * n);
  for (long j = 0; j + 1 < n; j++)
    for (long i = 0; i < n; i++)
      a[i * n + j] = a[i * n + j] * sin(a[i * n + j + 1]) + w[i] * a[i * n + j + 1];
  double f = 0;
  for (long i = 0; i < n * n; i++)
    f += a[i] * a[i] * (1.0 + 0.02 * i);
  free(a);
  return f;
}

__attribute__((noinline)) double backpivot(long n, const double *restrict a0, const double *restrict w) {
  double *a = malloc(sizeof(double) * n * n);
  memcpy(a, a0, sizeof(double) * n * n);
  for (long k = 0; k < n; k++) {
    long p = 0;
    double best = w[0];
    for (long i = 1; i <= k; i++)
      if (w[i] > best) {
        best = w[i];
        p = i;
      }
    if (p != k)
      for (long j = 0; j < n; j++) {
        double t = a[k * n + j];
        a[k * n + j] = a[p * n + j];
        a[p * n + j] = t;
      }
    for (long i = k + 1; i < n; i++) {
      double m = 0.2 * sin(a[i * n + k]);
      for (long j = k + 1; j < n; j++)
        a[i * n + j] -= m * a[k * n + j];
    }
  }
  double f = 0;
  for (long i = 0; i < n * n; i++)
    f += a[i] * a[i] * (1.0 + 0.03 * i);
  free(a);
  return f;
}

__attribute__((noinline)) double rowahead(long n, const double *restrict x0, const double *restrict w) {
  double *x = malloc(sizeof(double) * n * n);
  memcpy(x, x0, sizeof(double) * n * n);
  for (long i = 0; i + 1 < n; i++)
    for (long c = 0; c < n; c++)
      x[i * n + c] = x[i * n + c] * cos(x[(i + 1) * n + c]) + w[c] * x[(i + 1) * n + c];
  double f = 0;
  for (long i = 0; i < n * n; i++)
    f += x[i] * x[i] * (1.0 + 0.01 * i);
  free(x);
  return f;
}

/* the tail shared by chol, chol2 and chol2r: L y = b, L^T x = y, f = 0.5 |x|^2 */
static double solve_tail(long n, double *l, const double *restrict b) {
  double *y = malloc(sizeof(double) * n), *x = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++) {
    double s = b[i];
    for (long k = 0; k < i; k++)
      s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  for (long i = n - 1; i >= 0; i--) {
    double s = y[i];
    for (long k = i + 1; k < n; k++)
      s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * x[i];
  free(l);
  free(y);
  free(x);
  return 0.5 * f;
}

/* Cholesky, rows i paired (each row's chain in chol's order), the odd row last */
__attribute__((noinline)) double chol2(long n, const double *restrict a, const double *restrict b) {
  double *l = malloc(sizeof(double) * n * n);
  for (long j = 0; j < n; j++) {
    double s = a[j * n + j];
    for (long k = 0; k < j; k++)
      s -= l[j * n + k] * l[j * n + k];
    double d = sqrt(s);
    l[j * n + j] = d;
    long i = j + 1;
    for (; i + 1 < n; i += 2) {
      double t0 = a[i * n + j], t1 = a[(i + 1) * n + j];
      for (long k = 0; k < j; k++) {
        t0 -= l[i * n + k] * l[j * n + k];
        t1 -= l[(i + 1) * n + k] * l[j * n + k];
      }
      l[i * n + j] = t0 / d;
      l[(i + 1) * n + j] = t1 / d;
    }
    for (; i < n; i++) {
      double t = a[i * n + j];
      for (long k = 0; k < j; k++)
        t -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = t / d;
    }
  }
  return solve_tail(n, l, b);
}

/* the same with the odd row first: the paired loop starts at j + 1 + ((n - j - 1) & 1) */
__attribute__((noinline)) double chol2r(long n, const double *restrict a, const double *restrict b) {
  double *l = malloc(sizeof(double) * n * n);
  for (long j = 0; j < n; j++) {
    double s = a[j * n + j];
    for (long k = 0; k < j; k++)
      s -= l[j * n + k] * l[j * n + k];
    double d = sqrt(s);
    l[j * n + j] = d;
    long i0 = j + 1 + ((n - j - 1) & 1);
    for (long i = j + 1; i < i0; i++) {
      double t = a[i * n + j];
      for (long k = 0; k < j; k++)
        t -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = t / d;
    }
    for (long i = i0; i < n; i += 2) {
      double t0 = a[i * n + j], t1 = a[(i + 1) * n + j];
      for (long k = 0; k < j; k++) {
        t0 -= l[i * n + k] * l[j * n + k];
        t1 -= l[(i + 1) * n + k] * l[j * n + k];
      }
      l[i * n + j] = t0 / d;
      l[(i + 1) * n + j] = t1 / d;
    }
  }
  return solve_tail(n, l, b);
}

/* rowahead, two rows per pass: row i + 2 (read) is the next pass's row i */
__attribute__((noinline)) double rowahead2(long n, const double *restrict x0, const double *restrict w) {
  double *x = malloc(sizeof(double) * n * n);
  memcpy(x, x0, sizeof(double) * n * n);
  for (long i = 0; i + 2 < n; i += 2)
    for (long c = 0; c < n; c++) {
      x[i * n + c] = x[i * n + c] * cos(x[(i + 1) * n + c]) + w[c] * x[(i + 1) * n + c];
      x[(i + 1) * n + c] = x[(i + 1) * n + c] * cos(x[(i + 2) * n + c]) + w[c] * x[(i + 2) * n + c];
    }
  double f = 0;
  for (long i = 0; i < n * n; i++)
    f += x[i] * x[i] * (1.0 + 0.01 * i);
  free(x);
  return f;
}

static double A[N * N], Lm[N * N], M[N * N], bv[N], wv[N], vA[N * N], vb[N * N];

typedef double (*fn_t)(long, const double *, const double *);

/* gradient of f(N, x, y) w.r.t. x (nx values) and y (ny values): FD, forward vs reverse */
static void check_fn(const char *name, fn_t f, double *x, long nx, double *y, long ny) {
  double *dx = calloc(nx, sizeof(double)), *dy = calloc(ny, sizeof(double));
  __enzyme_autodiff((void *)f, enzyme_const, (long)N, enzyme_dup, x, dx, enzyme_dup, y, dy);
  CHECK_ARRAY_FD(name, x, nx, dx, 1e-6, f(N, x, y), RTOL_FD, 1e-7);
  CHECK_ARRAY_FD(name, y, ny, dy, 1e-6, f(N, x, y), RTOL_FD, 1e-7);
  double tangent = __enzyme_fwddiff((void *)f, enzyme_const, (long)N, enzyme_dup, x, vA, enzyme_dup, y, vb);
  double dot = dotv(dx, vA, nx) + dotv(dy, vb, ny);
  CHECK_CLOSE(name, tangent, dot, 1e-9, 1e-11);
  free(dx);
  free(dy);
}

int main(void) {
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < N; j++) {
      A[i * N + j] = 0.4 * sin(1.0 + 0.7 * (i + j)) + (i == j ? N : 0); /* symmetric, SPD */
      Lm[i * N + j] = j < i ? 0.3 * sin(1.0 + i * N + j) : j == i ? 1.5 + 0.5 * cos(i) : 0;
      M[i * N + j] = 0.5 * cos(0.3 * i * N + 1.1 * j) + (i == j ? 0.2 : 0);
      vA[i * N + j] = sin(2.0 + 0.37 * (i * N + j));
    }
    bv[i] = sin(0.7 * i) + 0.2;
    wv[i] = 0.5 + 0.3 * cos(1.7 * i) + (i == 3 ? 2.0 : 0); /* backpivot: row 3 the pivot of every later step */
  }
  for (int i = 0; i < N * N; i++)
    vb[i] = cos(0.9 * i + 0.2);
  check_fn("chol", chol, A, N * N, bv, N);
  check_fn("lu", lu, M, N * N, bv, N);
  check_fn("tri", tri, Lm, N * N, M, N * N);
  check_fn("lookahead", lookahead, M, N * N, wv, N);
  check_fn("backpivot", backpivot, M, N * N, wv, N);
  check_fn("rowahead", rowahead, M, N * N, wv, N);
  check_fn("chol2", chol2, A, N * N, bv, N);
  check_fn("chol2r", chol2r, A, N * N, bv, N);
  check_fn("rowahead2", rowahead2, M, N * N, wv, N);
  return check_report();
}
