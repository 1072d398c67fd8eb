// Loop nests whose inner trip count is the same in every outer iteration: the tape rows of the
// whole nest are reserved once before it. The reservation must cover every row the nest takes,
// or the check at the inner loop's entry must still grow the buffer (it does: the bound of a
// narrow unsigned count of 128..255 is sign-extended to nothing). The nests here take fewer rows
// than reserved (inner loop under a data-dependent branch; inner count zero or negative outside
// its guard), sit in a loop whose count is not known (the nest is entered again and again, each
// entry reserving after the rows taken so far), hold two inner loops of different counts in one
// outer iteration, count with narrow unsigned types, and run from 0 to a few thousand rows per
// call.
// Oracles: central finite differences and forward-vs-reverse dot products.
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

/* the inner loop runs in some outer iterations only */
double guarded_inner(const double *x, long n, int reps) {
  double s = 0.125;
  for (int a = 0; a < reps; a++) {
    if (x[a % (n > 0 ? n : 1)] > 0.0 || a == 1)
      for (long i = 0; i < n; i++)
        s = s * 0.5 + sin(x[i] * s + a);
    s += 0.01 * a;
  }
  return s;
}

/* the nest sits in a while loop that stops on a value: each entry reserves after the rows
   already taken */
double nest_in_while(const double *x, long n, int steps) {
  double s = 0.5;
  int rounds = 0;
  while (rounds < 6 && s < 40.0) {
    for (int t = 0; t < steps; t++)
      for (long i = 0; i + 2 < n; i++)
        s = s * 0.75 + cos(x[i] + 0.1 * t) * x[i + 1];
    s = s + 3.0 + fabs(s);
    rounds++;
  }
  return s;
}

/* two inner loops of different counts in one outer iteration; the second one's count m - 5 is
   negative for small m */
double siblings(const double *x, long m, int reps) {
  double s = 0.25;
  for (int a = 0; a < reps; a++) {
    for (long i = 0; i < m; i++)
      s = s * 0.5 + tanh(x[i] * (1.0 + a));
    for (long j = 0; j < m - 5; j++)
      s = s + 0.25 * sin(s * x[j + 5]);
  }
  return s;
}

/* counters of narrow unsigned types */
double narrow(const double *x, unsigned char m, unsigned short reps) {
  double s = 0.0;
  for (unsigned short a = 0; a != reps; a++)
    for (unsigned char i = 0; i != m; i++)
      s = s * 0.5 + exp(-x[i] * x[i] * (1.0 + 0.25 * a)) + 0.125 * sin(s);
  return s;
}

#define NMAX 4100
static double X[NMAX], D[NMAX], T[NMAX];
static long g_n;
static double p_guarded(const double *x, const void *c) { (void)c; return guarded_inner(x, g_n, 5); }
static double p_while(const double *x, const void *c) { (void)c; return nest_in_while(x, g_n, 3); }
static double p_siblings(const double *x, const void *c) { (void)c; return siblings(x, g_n, 3); }
static double p_narrow(const double *x, const void *c) {
  (void)c;
  return narrow(x, (unsigned char)(g_n < 255 ? g_n : 255), 3);
}

typedef double (*prim_fn)(const double *, const void *);

/* reverse gradient in D; forward along T must equal <D, T>; FD on the first few coordinates */
static void check_all(const char *name, long n, prim_fn p, int fd_coords) {
  char what[160];
  double fwd;
  long used = n;
  memset(D, 0, sizeof D);
  if (!strcmp(name, "guarded_inner")) {
    __enzyme_autodiff((void *)guarded_inner, X, D, n, 5);
    fwd = __enzyme_fwddiff((void *)guarded_inner, X, T, n, 5);
  } else if (!strcmp(name, "nest_in_while")) {
    __enzyme_autodiff((void *)nest_in_while, X, D, n, 3);
    fwd = __enzyme_fwddiff((void *)nest_in_while, X, T, n, 3);
  } else if (!strcmp(name, "siblings")) {
    __enzyme_autodiff((void *)siblings, X, D, n, 3);
    fwd = __enzyme_fwddiff((void *)siblings, X, T, n, 3);
  } else {
    unsigned char m = (unsigned char)(n < 255 ? n : 255);
    used = m;
    __enzyme_autodiff((void *)narrow, X, D, m, (unsigned short)3);
    fwd = __enzyme_fwddiff((void *)narrow, X, T, m, (unsigned short)3);
  }
  snprintf(what, sizeof what, "%s n=%ld forward = <reverse, t>", name, n);
  CHECK_CLOSE(what, fwd, dotv(D, T, (int)(used < NMAX ? used : NMAX)), 1e-9, 1e-12);
  int k = fd_coords < used ? fd_coords : (int)used;
  for (int i = 0; i < k; i++) {
    snprintf(what, sizeof what, "%s n=%ld d/dx[%d] vs FD", name, n, i);
    CHECK_CLOSE(what, D[i], fdvc(p, NULL, X, (int)used, i), RTOL_FD, ATOL_FD);
  }
}

int main(void) {
  unsigned s = 7;
  for (int i = 0; i < NMAX; i++) {
    X[i] = 0.7 * prand(&s);
    T[i] = prand(&s);
  }
  X[0] = -0.3; /* guarded_inner: the inner loop is skipped in some outer iterations */
  X[2] = 0.4;
  static const long ns[] = {0, 1, 2, 3, 6, 64, 300, 4000};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    long n = ns[c];
    g_n = n;
    check_all("guarded_inner", n, p_guarded, 6);
    check_all("nest_in_while", n, p_while, 6);
    check_all("siblings", n, p_siblings, 8);
    check_all("narrow", n, p_narrow, 6);
  }
  return check_report();
}
