// tape_affine_rows.c's nests in callees that stay calls (-ferment-no-inline): each becomes an
// augmented/reverse pair whose counters are frame fields, advanced once per nest by the product
// of its counts; the caller runs them twice in a loop (a tape per call).
// Oracles: central finite differences and forward-vs-reverse dot products.
// CFLAGS: -mllvm -ferment-no-inline
// RUN: clang
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

__attribute__((noinline)) double three_levels(const double *x, long n, long m, long p, int flag) {
  double s = 0.125;
  for (long i = 0; i < n; i++)
    for (long j = 0; j < m; j++) {
      s = s * 0.5 + sin(x[j] * s + 0.1 * i);
      if (flag)
        for (long k = 0; k < p; k++)
          s = s * 0.75 + cos(x[k] * (1.0 + 0.2 * j) + s);
    }
  return s;
}

__attribute__((noinline)) double siblings(const double *x, long n, long m) {
  double s = 0.25;
  for (long i = 0; i < n; i++) {
    for (long j = 0; j < m; j++)
      s = s * 0.5 + tanh(x[j] * (1.0 + 0.1 * i));
    if (x[i % (m > 0 ? m : 1)] > 0.0)
      for (long j = 0; j + 3 < m; j++)
        s = s + 0.25 * sin(s * x[j + 3]);
    for (long j = 0; j < 2 * m; j++)
      s = s * 0.9 + 0.1 * exp(-x[j / 2] * x[j / 2] * s * s);
  }
  return s;
}

double caller(const double *x, long n, long m, long p, int flag) {
  double r = 0;
  for (int t = 0; t < 2; t++)
    r += (1.0 + t) * three_levels(x + t, n, m, p, flag) + siblings(x + 2 * t, n + t, m);
  return r;
}

#define NMAX 64
static double X[NMAX], D[NMAX], T[NMAX];
static long g_n, g_m, g_p;
static int g_flag;
static double p_caller(const double *x, const void *c) {
  (void)c;
  return caller(x, g_n, g_m, g_p, g_flag);
}

int main(void) {
  unsigned s = 13;
  for (int i = 0; i < NMAX; i++) {
    X[i] = 0.6 * prand(&s);
    T[i] = prand(&s);
  }
  X[1] = -0.4;
  static const long sizes[][3] = {{0, 3, 2}, {3, 0, 2}, {3, 2, 0}, {1, 1, 1}, {2, 3, 4}, {4, 5, 3}};
  char what[200];
  for (unsigned c = 0; c < COUNT_OF(sizes); c++) {
    g_n = sizes[c][0];
    g_m = sizes[c][1];
    g_p = sizes[c][2];
    for (g_flag = 0; g_flag < 2; g_flag++) {
      memset(D, 0, sizeof D);
      __enzyme_autodiff((void *)caller, X, D, g_n, g_m, g_p, g_flag);
      double fwd = __enzyme_fwddiff((void *)caller, X, T, g_n, g_m, g_p, g_flag);
      snprintf(what, sizeof what, "caller n=%ld m=%ld p=%ld flag=%d forward = <reverse, t>", g_n,
               g_m, g_p, g_flag);
      CHECK_CLOSE(what, fwd, dotv(D, T, NMAX), 1e-9, 1e-12);
      for (int i = 0; i < 12; i++) {
        snprintf(what, sizeof what, "caller n=%ld m=%ld p=%ld flag=%d d/dx[%d] vs FD", g_n, g_m,
                 g_p, g_flag, i);
        CHECK_CLOSE(what, D[i], fdvc(p_caller, NULL, X, NMAX, i), RTOL_FD, ATOL_FD);
      }
    }
  }
  return check_report();
}
