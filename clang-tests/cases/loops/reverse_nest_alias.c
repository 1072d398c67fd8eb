// Reverse sweep of a loop nest whose shadow buffers may overlap: the reverse of a row loop runs
// downwards, and the vectorizer guards its vector body with runtime alias checks between the
// two accumulated shadows (dA row i and dx). In ferment's functions those checks are made per
// row (not widened to the whole nest, where LLVM's check always fails for a downward outer
// loop), so the vector body runs when the shadows are apart and the scalar body when they
// overlap. Both must give the same gradient: checked against central finite differences
//   apart    A and x separate arrays, separate shadows,
//   overlap  x is the second row of A (restrict read-only parameters may overlap), so dx is dA's
//            second row: the finite differences of A -> f(A, A + n) see the sum of both parts,
//   tri      a triangular nest (inner count i + 1) with a nonlinear factor, shadows apart.
// Sizes 37 and 64 (a vector remainder and none).
// RUN: clang opt
#include "check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

#define NMAX 64
// f sums ~n^2 products of size ~1: central differences with a 1e-6 step carry ~1e-7 roundoff
#define FD_ATOL 2e-6

static double W[NMAX];

__attribute__((noinline)) double matvec(const double *restrict A, const double *restrict x, long n) {
  double f = 0;
  for (long i = 0; i < n; i++) {
    double s = 0;
    for (long j = 0; j < n; j++)
      s += A[i * n + j] * x[j];
    f += W[i] * s * s;
  }
  return f;
}

__attribute__((noinline)) double tri(const double *restrict A, const double *restrict x, long n) {
  double f = 0;
  for (long i = 0; i < n; i++) {
    double s = 0;
    for (long j = 0; j <= i; j++)
      s += A[i * n + j] * sin(x[j]);
    f += W[i] * s;
  }
  return f;
}

static long N;

static double f_apart(const double *v, const void *ctx) {
  (void)ctx;
  return matvec(v, v + N * N, N);
}
static double f_overlap(const double *v, const void *ctx) {
  (void)ctx;
  return matvec(v, v + N, N);
}
static double f_tri(const double *v, const void *ctx) {
  (void)ctx;
  return tri(v, v + N * N, N);
}

int main(void) {
  static double v[NMAX * NMAX + NMAX], g[NMAX * NMAX + NMAX];
  unsigned seed = 7;
  for (int i = 0; i < NMAX; i++)
    W[i] = 0.5 + 0.01 * i;
  long sizes[] = {37, 64};
  for (int s = 0; s < 2; s++) {
    N = sizes[s];
    int m = (int)(N * N + N);
    for (int i = 0; i < m; i++)
      v[i] = prand(&seed) - 0.5;

    memset(g, 0, sizeof g);
    __enzyme_autodiff((void *)matvec, enzyme_dup, v, g, enzyme_dup, v + N * N, g + N * N, enzyme_const, N);
    CHECK_GRAD_FD("apart", f_apart, 0, v, m, g, RTOL_FD, FD_ATOL);

    memset(g, 0, sizeof g);
    __enzyme_autodiff((void *)matvec, enzyme_dup, v, g, enzyme_dup, v + N, g + N, enzyme_const, N);
    CHECK_GRAD_FD("overlap", f_overlap, 0, v, (int)(N * N), g, RTOL_FD, FD_ATOL);

    memset(g, 0, sizeof g);
    __enzyme_autodiff((void *)tri, enzyme_dup, v, g, enzyme_dup, v + N * N, g + N * N, enzyme_const, N);
    CHECK_GRAD_FD("tri", f_tri, 0, v, m, g, RTOL_FD, FD_ATOL);
  }
  return check_report();
}
