// Eliminations that re-read a pivot row after storing into other rows behind a branch test on
// the row index. Where the test rules the pivot row out (`i != k`, `i > k`), the clone takes the
// pivot row's stored values instead of the re-reads (one taped value each, checked in
// tests/derivative_size.rs); where it does not, the re-read must see the stored update. Cases:
//   gj      Gauss-Jordan inverse of a 4x4 with partial pivoting (rows swapped in place) on
//           [S | I], rows i != k updated: f = log|det S| + sum_ij w-weighted (S^-1)_ij^2,
//   ge      Gaussian elimination to upper triangular form, rows i > k updated, f from the
//           triangle (log of the pivots and a weighted sum of squares),
//   skew    rows i != (k + 1) % 4 updated by 0.25 m a[k][j]: the pivot row k itself is
//           rewritten before the later rows read it (the re-reads must not take the old value),
//   shift   rows i != k - 1 updated: again the pivot row among the written rows.
// Oracles: central finite differences of each primal, and forward mode against reverse mode.
// RUN: clang
#include "check.h"
#include <math.h>
#include <stdlib.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static void load_aug(const double *s, double a[4][8]) {
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) {
      a[i][j] = s[4 * i + j];
      a[i][4 + j] = i == j;
    }
}

static double weighted(const double a[4][8], const double *w) {
  double f = 0;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 8; j++)
      f += (w[i] + 0.1 * j) * a[i][j] * a[i][j];
  return f;
}

__attribute__((noinline)) double gj(const double *restrict s, const double *restrict w) {
  double a[4][8];
  load_aug(s, a);
  double ld = 0;
  for (int k = 0; k < 4; k++) {
    int p = k;
    for (int i = k + 1; i < 4; i++)
      if (fabs(a[i][k]) > fabs(a[p][k]))
        p = i;
    if (p != k)
      for (int j = 0; j < 8; j++) {
        double t = a[k][j];
        a[k][j] = a[p][j];
        a[p][j] = t;
      }
    double piv = a[k][k];
    ld += log(fabs(piv));
    for (int j = 0; j < 8; j++)
      a[k][j] /= piv;
    for (int i = 0; i < 4; i++)
      if (i != k) {
        double m = a[i][k];
        for (int j = 0; j < 8; j++)
          a[i][j] -= m * a[k][j];
      }
  }
  return ld + weighted(a, w);
}

__attribute__((noinline)) double ge(const double *restrict s, const double *restrict w) {
  double a[4][8];
  load_aug(s, a);
  double ld = 0;
  for (int k = 0; k < 4; k++) {
    double piv = a[k][k];
    ld += log(fabs(piv));
    for (int j = 0; j < 8; j++)
      a[k][j] *= 1.0 / piv;
    for (int i = 0; i < 4; i++)
      if (i > k) {
        double m = a[i][k];
        for (int j = 0; j < 8; j++)
          a[i][j] -= m * a[k][j];
      }
  }
  return ld + weighted(a, w);
}

__attribute__((noinline)) double skew(const double *restrict s, const double *restrict w) {
  double a[4][8];
  load_aug(s, a);
  for (int k = 0; k < 4; k++) {
    double piv = a[k][k];
    for (int j = 0; j < 8; j++)
      a[k][j] /= piv;
    int q = (k + 1) & 3;
    for (int i = 0; i < 4; i++)
      if (i != q) {
        double m = 0.25 * a[i][k];
        for (int j = 0; j < 8; j++)
          a[i][j] -= m * a[k][j];
      }
  }
  return weighted(a, w);
}

__attribute__((noinline)) double shift(const double *restrict s, const double *restrict w) {
  double a[4][8];
  load_aug(s, a);
  for (int k = 0; k < 4; k++) {
    double piv = a[k][k];
    for (int j = 0; j < 8; j++)
      a[k][j] /= piv;
    for (int i = 0; i < 4; i++)
      if (i != k - 1) {
        double m = 0.3 * a[i][k];
        for (int j = 0; j < 8; j++)
          a[i][j] -= m * sin(a[k][j]);
      }
  }
  return weighted(a, w);
}

typedef double (*fn_t)(const double *, const double *);

static double S[16], W[4], vS[16], vW[4];

static void check_fn(const char *name, fn_t f) {
  double dS[16] = {0}, dW[4] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, S, dS, enzyme_dup, W, dW);
  CHECK_ARRAY_FD(name, S, 16, dS, 1e-6, f(S, W), RTOL_FD, 1e-7);
  CHECK_ARRAY_FD(name, W, 4, dW, 1e-6, f(S, W), RTOL_FD, 1e-7);
  double tangent = __enzyme_fwddiff((void *)f, enzyme_dup, S, vS, enzyme_dup, W, vW);
  double dot = dotv(dS, vS, 16) + dotv(dW, vW, 4);
  CHECK_CLOSE(name, tangent, dot, 1e-9, 1e-11);
}

int main(void) {
  for (int i = 0; i < 4; i++) {
    for (int j = 0; j < 4; j++) {
      /* the largest entry of column 0 in row 2: gj swaps rows */
      S[4 * i + j] = 0.4 * sin(1.0 + 0.9 * i + 0.5 * j) + (i == j ? 2.0 : 0) + (i == 2 && j == 0 ? 3.0 : 0);
      vS[4 * i + j] = cos(0.7 * (4 * i + j) + 0.3);
    }
    W[i] = 0.5 + 0.2 * i;
    vW[i] = sin(1.3 * i + 0.4);
  }
  check_fn("gj", gj);
  check_fn("ge", ge);
  check_fn("skew", skew);
  check_fn("shift", shift);
  return check_report();
}
