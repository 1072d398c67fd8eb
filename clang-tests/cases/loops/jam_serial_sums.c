// Loops around a floating-point sum in source order whose iterations are independent run two
// at a time in ferment's copy of the primal, the two inner loops fused (unroll-and-jam), where
// every memory access of the loop is proven apart across its iterations; the pair's chains keep
// their own order (the same bits). Cases:
//   chol      Cholesky: row i's `t -= l[i][k] l[j][k]`, k < j, behind the inner loop's guard
//             `j > 0` (the loop is versioned on it), then two triangular solves, f = 0.5 |x|^2,
//   matvec    y = A x (rows independent, one store per row), f = sum w_i y_i^2,
//   subst     forward substitution y[i] = (b[i] - sum_{k<i} L[i][k] y[k]) / L[i][i]: row i + 1
//             reads y[i] (a true dependence across rows: not jammed),
//   carried   rows whose sum starts from the previous row's result (a value carried in a
//             register across rows: not jammed),
//   aliasrow  y[i] = sum_k A[i][k] x[k] + 0.1 y[i] with x and y one buffer (x = y + 1): row i's
//             store y[i] = x[i - 1] is read by every later row (not jammed).
// Each at sizes 1..7 and 10 (odd counts leave a remainder row). Oracles: central finite
// differences, and forward mode against reverse mode (tangent . v = gradient . v).
// RUN: clang
#include "check.h"
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define NMAX 10

static double solve_tail(long n, const double *l, const double *b) {
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
  free(y);
  free(x);
  return 0.5 * f;
}

__attribute__((noinline)) double chol(long n, const double *restrict a, const double *restrict b) {
  double *l = malloc(sizeof(double) * n * n);
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
  double f = solve_tail(n, l, b);
  free(l);
  return f;
}

__attribute__((noinline)) double matvec(long n, const double *restrict a, const double *restrict x) {
  double *y = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++) {
    double s = 0;
    for (long k = 0; k < n; k++)
      s += a[i * n + k] * x[k];
    y[i] = s;
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += (1.0 + 0.1 * i) * y[i] * y[i];
  free(y);
  return f;
}

__attribute__((noinline)) double subst(long n, const double *restrict a, const double *restrict b) {
  double *y = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++) {
    double s = b[i];
    for (long k = 0; k < i; k++)
      s -= 0.1 * a[i * n + k] * y[k];
    y[i] = s / (2.0 + a[i * n + i] * a[i * n + i]);
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += y[i] * y[i] * (1.0 + 0.2 * i);
  free(y);
  return f;
}

__attribute__((noinline)) double carried(long n, const double *restrict a, const double *restrict x) {
  double *y = malloc(sizeof(double) * n);
  double s = 0.5;
  for (long i = 0; i < n; i++) {
    for (long k = 0; k < n; k++)
      s += 0.1 * a[i * n + k] * x[k];
    y[i] = s;
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += y[i] * y[i];
  free(y);
  return f;
}

__attribute__((noinline)) double aliasrow(long n, const double *restrict a, const double *restrict x0) {
  double *y = malloc(sizeof(double) * (n + 1));
  memcpy(y, x0, sizeof(double) * n);
  y[n] = 0.25;
  double *x = y + 1;
  for (long i = 0; i < n; i++) {
    double s = 0;
    for (long k = 0; k < n; k++)
      s += 0.3 * a[i * n + k] * x[k];
    y[i] = s + 0.1 * y[i];
  }
  double f = 0;
  for (long i = 0; i <= n; i++)
    f += y[i] * y[i] * (1.0 + 0.3 * i);
  free(y);
  return f;
}

typedef double (*fn_t)(long, const double *, const double *);

static double A[NMAX * NMAX], B[NMAX], VA[NMAX * NMAX], VB[NMAX];

/* gradient of f(n, a, b) w.r.t. a (n*n values) and b (n values): FD, forward vs reverse */
static void check_fn(const char *name, fn_t f, long n) {
  long nx = n * n, ny = n;
  double *x = malloc(sizeof(double) * nx), *y = malloc(sizeof(double) * ny);
  for (long i = 0; i < n; i++) {
    for (long j = 0; j < n; j++)
      x[i * n + j] = 0.4 * sin(1.0 + 0.7 * (i + j)) + (i == j ? n + 1 : 0); /* symmetric, SPD */
    y[i] = sin(0.7 * i) + 0.2;
  }
  double *dx = calloc(nx, sizeof(double)), *dy = calloc(ny, sizeof(double));
  __enzyme_autodiff((void *)f, enzyme_const, n, enzyme_dup, x, dx, enzyme_dup, y, dy);
  CHECK_ARRAY_FD(name, x, nx, dx, 1e-6, f(n, x, y), RTOL_FD, 1e-7);
  CHECK_ARRAY_FD(name, y, ny, dy, 1e-6, f(n, x, y), RTOL_FD, 1e-7);
  double tangent = __enzyme_fwddiff((void *)f, enzyme_const, n, enzyme_dup, x, VA, enzyme_dup, y, VB);
  double dot = dotv(dx, VA, nx) + dotv(dy, VB, ny);
  CHECK_CLOSE(name, tangent, dot, 1e-9, 1e-11);
  free(x);
  free(y);
  free(dx);
  free(dy);
}

int main(void) {
  for (int i = 0; i < NMAX * NMAX; i++)
    VA[i] = sin(2.0 + 0.37 * i);
  for (int i = 0; i < NMAX; i++)
    VB[i] = cos(0.9 * i + 0.2);
  static const long sizes[] = {1, 2, 3, 4, 5, 6, 7, 10};
  for (unsigned s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    long n = sizes[s];
    check_fn("chol", chol, n);
    check_fn("matvec", matvec, n);
    check_fn("subst", subst, n);
    check_fn("carried", carried, n);
    check_fn("aliasrow", aliasrow, n);
  }
  return check_report();
}
