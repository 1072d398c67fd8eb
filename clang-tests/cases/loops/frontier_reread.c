// Elements a loop stores one after another (`y[i] = ...`) and reads back only once they are
// final, with no later write to them: the reverse sweep reads them again instead of taping
// every read (forward substitution reads y[j], j < i, after y[i - 1] was stored; back
// substitution with i counting down reads x[j], j > i). Cases:
//   trisolve    L y = b, then L^T x = y, f = 0.5 |x|^2 (both reads re-read: the gradient's
//               tape stays O(n) where taping the reads is O(n^2): checked through the heap the
//               first gradient call leaves to the tape cache),
//   prefix      in place y[i] = y[i] * sin(y[i - 1]) + y[i - 1]^2: y[i - 1] is final, y[i] is
//               read before its own store overwrites it (must be taped),
//   sweeps      forward substitution repeated K times over the same y: a later sweep rewrites
//               what an earlier one read (the loop is inside another: taped),
//   down_below  i counting down while reading x[j], j < i: elements the loop rewrites later.
// Oracles: central finite differences of each primal; trisolve also its hand-written adjoint
// (lam = L^-1 x, mu = L^-T lam: bbar = mu, Lbar_ij = -(x_i lam_j + mu_i y_j), i >= j).
// RUN: clang
#include "check.h"
#include <malloc.h>
#include <stdlib.h>

void __enzyme_autodiff(void *, ...);

#define N 24
#define K 3

__attribute__((noinline)) double trisolve(long n, const double *restrict L, const double *restrict b) {
  double *y = malloc(sizeof(double) * n), *x = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++) {
    double s = b[i];
    for (long j = 0; j < i; j++)
      s -= L[i * n + j] * y[j];
    y[i] = s / L[i * n + i];
  }
  for (long i = n - 1; i >= 0; i--) {
    double s = y[i];
    for (long j = i + 1; j < n; j++)
      s -= L[j * n + i] * x[j];
    x[i] = s / L[i * n + i];
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * x[i];
  free(y);
  free(x);
  return 0.5 * f;
}

__attribute__((noinline)) double prefix(long n, const double *restrict a) {
  double *y = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++)
    y[i] = a[i];
  for (long i = 1; i < n; i++)
    y[i] = y[i] * sin(y[i - 1]) + y[i - 1] * y[i - 1];
  double f = 0;
  for (long i = 0; i < n; i++)
    f += y[i] * (1.0 + 0.1 * i);
  free(y);
  return f;
}

__attribute__((noinline)) double sweeps(long n, const double *restrict a, const double *restrict b) {
  double *y = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++)
    y[i] = b[i];
  for (long k = 0; k < K; k++)
    for (long i = 0; i < n; i++) {
      double s = b[i] + 0.5 * y[i];
      for (long j = 0; j < i; j++)
        s += a[j] * sin(y[j]);
      y[i] = s / (1.0 + i);
    }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += y[i] * y[i];
  free(y);
  return f;
}

__attribute__((noinline)) double down_below(long n, const double *restrict a, const double *restrict w) {
  double *x = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++)
    x[i] = a[i];
  for (long i = n - 1; i >= 0; i--) {
    double s = 0.5 * x[i];
    for (long j = 0; j < i; j++)
      s += w[j] * x[j] * x[j];
    x[i] = s / (1.0 + i);
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * x[i];
  free(x);
  return f;
}

static double Lm[N * N], bv[N], av[N], wv[N];

static size_t heap_in_use(void) {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

int main(void) {
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < N; j++)
      Lm[i * N + j] = j < i ? 0.3 * sin(1.0 + i * N + j) : j == i ? 1.5 + 0.5 * cos(i) : 0;
    bv[i] = sin(0.7 * i) + 0.2;
    av[i] = 0.4 * cos(1.3 * i) + 0.1;
    wv[i] = 0.3 * sin(0.9 * i + 0.4);
  }

  /* trisolve: hand-written adjoint and FD */
  {
    double dL[N * N] = {0}, db[N] = {0};
    size_t before = heap_in_use();
    __enzyme_autodiff((void *)trisolve, enzyme_const, (long)N, enzyme_dup, Lm, dL, enzyme_dup, bv, db);
    size_t held = heap_in_use() - before;
    /* what the tape cache keeps: the taped reads would be 1.5 n^2 doubles (6.9 KB at n = 24)
     * and more; re-read, a few rows of n doubles */
    CHECK_TRUE("trisolve tape holds O(n) doubles", held < 8 * N * N);
    double y[N], x[N], lam[N], mu[N];
    for (int i = 0; i < N; i++) {
      double s = bv[i];
      for (int j = 0; j < i; j++)
        s -= Lm[i * N + j] * y[j];
      y[i] = s / Lm[i * N + i];
    }
    for (int i = N - 1; i >= 0; i--) {
      double s = y[i];
      for (int j = i + 1; j < N; j++)
        s -= Lm[j * N + i] * x[j];
      x[i] = s / Lm[i * N + i];
    }
    for (int i = 0; i < N; i++) {
      double s = x[i];
      for (int j = 0; j < i; j++)
        s -= Lm[i * N + j] * lam[j];
      lam[i] = s / Lm[i * N + i];
    }
    for (int i = N - 1; i >= 0; i--) {
      double s = lam[i];
      for (int j = i + 1; j < N; j++)
        s -= Lm[j * N + i] * mu[j];
      mu[i] = s / Lm[i * N + i];
    }
    for (int i = 0; i < N; i++) {
      CHECK_CLOSE("trisolve db", db[i], mu[i], RTOL_D, 1e-12);
      for (int j = 0; j < N; j++) {
        double want = j <= i ? -(x[i] * lam[j] + mu[i] * y[j]) : 0;
        CHECK_CLOSE("trisolve dL", dL[i * N + j], want, RTOL_D, 1e-12);
      }
    }
    CHECK_ARRAY_FD("trisolve db fd", bv, N, db, 1e-6, trisolve(N, Lm, bv), RTOL_FD, ATOL_FD);
    CHECK_ARRAY_FD("trisolve dL fd", Lm, N * N, dL, 1e-6, trisolve(N, Lm, bv), RTOL_FD, ATOL_FD);
  }

  /* prefix */
  {
    double da[N] = {0};
    __enzyme_autodiff((void *)prefix, enzyme_const, (long)N, enzyme_dup, av, da);
    CHECK_ARRAY_FD("prefix da", av, N, da, 1e-6, prefix(N, av), RTOL_FD, ATOL_FD);
  }

  /* sweeps */
  {
    double da[N] = {0}, db[N] = {0};
    __enzyme_autodiff((void *)sweeps, enzyme_const, (long)N, enzyme_dup, av, da, enzyme_dup, bv, db);
    CHECK_ARRAY_FD("sweeps da", av, N, da, 1e-6, sweeps(N, av, bv), RTOL_FD, ATOL_FD);
    CHECK_ARRAY_FD("sweeps db", bv, N, db, 1e-6, sweeps(N, av, bv), RTOL_FD, ATOL_FD);
  }

  /* down_below */
  {
    double da[N] = {0}, dw[N] = {0};
    __enzyme_autodiff((void *)down_below, enzyme_const, (long)N, enzyme_dup, av, da, enzyme_dup, wv, dw);
    CHECK_ARRAY_FD("down_below da", av, N, da, 1e-6, down_below(N, av, wv), RTOL_FD, ATOL_FD);
    CHECK_ARRAY_FD("down_below dw", wv, N, dw, 1e-6, down_below(N, av, wv), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
