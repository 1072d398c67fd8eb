// Tape rows from the iteration numbers of a loop nest (no counter carried through the nest): where
// every loop of a nest has an exact count that does not change inside it, and each iteration
// enters the loop below once (or, behind a guard on a value from outside the nest, never), the
// row of an inner iteration is base + (i * m + j) * p + k, the counter advanced by the product of
// the counts before the nest. The shapes here: three levels, the innermost under an invariant
// flag (0: no rows at all, the formula must give none), counts of 0 and 1 at any level, two
// sibling inner loops of different counts, the nest inside a loop whose count is not known (each
// entry continuing after the rows taken so far), and a loop under a data-dependent branch (its
// rows are not affine: it keeps its counter beside affine siblings). Each is run in a loop of
// the caller that stays a call (-ferment-no-inline: augmented/reverse pairs, the counter a frame
// field) and inlined.
// Oracles: central finite differences and forward-vs-reverse dot products.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

/* three levels; the innermost only when `flag` (a value from outside the nest) */
double three_levels(const double *x, long n, long m, long p, int flag) {
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

/* two inner loops of different counts, one of them under a data-dependent branch */
double siblings(const double *x, long n, long m) {
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

/* the nest inside a loop that stops on a value */
double in_while(const double *x, long n, long m) {
  double s = 0.5;
  int rounds = 0;
  while (rounds < 5 && s < 30.0) {
    for (long i = 0; i < n; i++)
      for (long j = 0; j < m; j++)
        s = s * 0.75 + cos(x[j] + 0.1 * i) * x[i];
    s = s + 2.0 + fabs(s);
    rounds++;
  }
  return s;
}

#define NMAX 64
static double X[NMAX], D[NMAX], T[NMAX];
static long g_n, g_m, g_p;
static int g_flag;
static double p_three(const double *x, const void *c) {
  (void)c;
  return three_levels(x, g_n, g_m, g_p, g_flag);
}
static double p_siblings(const double *x, const void *c) { (void)c; return siblings(x, g_n, g_m); }
static double p_while(const double *x, const void *c) { (void)c; return in_while(x, g_n, g_m); }

typedef double (*prim_fn)(const double *, const void *);

static void check(const char *name, prim_fn p, int which) {
  char what[200];
  double fwd = 0;
  memset(D, 0, sizeof D);
  if (which == 0) {
    __enzyme_autodiff((void *)three_levels, X, D, g_n, g_m, g_p, g_flag);
    fwd = __enzyme_fwddiff((void *)three_levels, X, T, g_n, g_m, g_p, g_flag);
  } else if (which == 1) {
    __enzyme_autodiff((void *)siblings, X, D, g_n, g_m);
    fwd = __enzyme_fwddiff((void *)siblings, X, T, g_n, g_m);
  } else {
    __enzyme_autodiff((void *)in_while, X, D, g_n, g_m);
    fwd = __enzyme_fwddiff((void *)in_while, X, T, g_n, g_m);
  }
  snprintf(what, sizeof what, "%s n=%ld m=%ld p=%ld flag=%d forward = <reverse, t>", name, g_n,
           g_m, g_p, g_flag);
  CHECK_CLOSE(what, fwd, dotv(D, T, NMAX), 1e-9, 1e-12);
  for (int i = 0; i < 12; i++) {
    snprintf(what, sizeof what, "%s n=%ld m=%ld p=%ld flag=%d d/dx[%d] vs FD", name, g_n, g_m,
             g_p, g_flag, i);
    CHECK_CLOSE(what, D[i], fdvc(p, NULL, X, NMAX, i), RTOL_FD, ATOL_FD);
  }
}

int main(void) {
  unsigned s = 11;
  for (int i = 0; i < NMAX; i++) {
    X[i] = 0.6 * prand(&s);
    T[i] = prand(&s);
  }
  X[1] = -0.4;
  X[4] = -0.2;
  static const long sizes[][3] = {{0, 3, 2}, {3, 0, 2}, {3, 2, 0}, {1, 1, 1},
                                  {2, 3, 4}, {4, 5, 3}, {5, 7, 1}};
  for (unsigned c = 0; c < COUNT_OF(sizes); c++) {
    g_n = sizes[c][0];
    g_m = sizes[c][1];
    g_p = sizes[c][2];
    for (g_flag = 0; g_flag < 2; g_flag++)
      check("three_levels", p_three, 0);
    g_flag = 0;
    check("siblings", p_siblings, 1);
    check("in_while", p_while, 2);
  }
  return check_report();
}
