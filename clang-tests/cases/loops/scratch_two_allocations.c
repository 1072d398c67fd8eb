// Scratch blocks allocated on two paths (malloc or calloc, chosen by a flag), reached through a
// phi and freed through it: the reverse sweep frees each allocation where it passes it (so it may
// read the scratch table again instead of taping it). Cases:
//   table   a passive table t (malloc or calloc) filled once, then r sweeps a[j] = a[j] t[j] +
//           0.5 a[j + 1] over a scratch copy of x; f = sum a^2 (the adjoint reads t[j]),
//   both    both blocks allocated, a phi picks which one holds the table and which one the
//           work array, each freed through the other phi (no block freed twice or leaked: the
//           valgrind config checks), f = sum a^2 + sum sin(a) t.
// Oracles: central finite differences of each primal, and forward mode against reverse mode
// (tangent along a fixed direction = gradient . direction). That the table is read again (no
// tape of it per iteration) is checked in tests/derivative_size.rs.
// RUN: clang
#include "check.h"
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define N 12
#define R 3

__attribute__((noinline)) double table(long n, const double *restrict x, int zeroed) {
  double *t = zeroed ? calloc(n, sizeof(double)) : malloc(sizeof(double) * n);
  double *a = malloc(sizeof(double) * n);
  memcpy(a, x, sizeof(double) * n);
  for (long j = 0; j < n; j++)
    t[j] = cos(0.3 * j) + (zeroed ? 0.1 : 0.0);
  for (long k = 0; k < R; k++)
    for (long j = 0; j + 1 < n; j++)
      a[j] = a[j] * t[j] + 0.5 * a[j + 1];
  double f = 0;
  for (long j = 0; j < n; j++)
    f += a[j] * a[j];
  free(t);
  free(a);
  return f;
}

__attribute__((noinline)) double both(long n, const double *restrict x, int swap) {
  double *p = malloc(sizeof(double) * n), *q = calloc(n, sizeof(double));
  double *t = swap ? p : q, *a = swap ? q : p;
  for (long j = 0; j < n; j++) {
    t[j] = 0.5 + 0.4 * sin(1.0 + j);
    a[j] = x[j];
  }
  for (long k = 0; k < R; k++)
    for (long j = 1; j < n; j++)
      a[j] = a[j] * t[j] - 0.3 * a[j - 1];
  double f = 0;
  for (long j = 0; j < n; j++)
    f += a[j] * a[j] + sin(a[j]) * t[j];
  free(t);
  free(a);
  return f;
}

typedef double (*fn_t)(long, const double *, int);

static double X[N], V[N];

static void check_fn(const char *name, fn_t f, int flag) {
  double dx[N] = {0};
  __enzyme_autodiff((void *)f, enzyme_const, (long)N, enzyme_dup, X, dx, enzyme_const, flag);
  CHECK_ARRAY_FD(name, X, N, dx, 1e-6, f(N, X, flag), RTOL_FD, 1e-7);
  double tangent = __enzyme_fwddiff((void *)f, enzyme_const, (long)N, enzyme_dup, X, V, enzyme_const, flag);
  CHECK_CLOSE(name, tangent, dotv(dx, V, N), 1e-9, 1e-11);
}

int main(void) {
  for (int i = 0; i < N; i++) {
    X[i] = 0.8 * sin(0.7 * i + 0.3);
    V[i] = cos(1.3 * i + 0.2);
  }
  check_fn("table malloc", table, 0);
  check_fn("table calloc", table, 1);
  check_fn("both p", both, 0);
  check_fn("both q", both, 1);
  return check_report();
}
