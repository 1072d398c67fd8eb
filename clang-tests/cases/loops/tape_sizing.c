// Loop tapes sized from trip counts: where scalar evolution bounds a loop's iterations at its
// entry, the tape buffer is grown once in the preheader instead of being checked every
// iteration. These loops stress the bound: a stride-3 int loop with an offset start, an early
// data-dependent exit under a counted bound (the bound is only a maximum), an unsigned
// count-down loop, a nested loop whose inner count grows with the outer index (the buffer must
// grow between outer iterations), a three-deep nest whose inner count is the same in every outer
// iteration (the whole nest's rows are reserved before it; for n < 3 the inner count expression
// n - 3 is negative outside its guard and must reserve nothing, not wrap), a loop whose bound is
// re-read from memory every iteration (no bound: checked per iteration), and sizes from 0 to
// several thousand in one process.
// Oracles: central finite differences and forward-vs-reverse dot products.
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double stride3(const double *x, int a, int b) {
  double s = 0.5;
  for (int i = a; i < b; i += 3)
    s = s * cos(x[i]) + x[i] * x[i];
  return s;
}

double early_exit(const double *x, long n) {
  double s = 0.25;
  for (long i = 0; i < n; i++) {
    if (x[i] > 0.9)
      break;
    s = s * x[i] + sin(s);
  }
  return s;
}

double count_down(const double *x, unsigned n) {
  double s = 1.0;
  for (unsigned i = n; i-- > 0;)
    s = tanh(s * x[i]) + 0.1 * x[i];
  return s;
}

double growing_inner(const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++) {
    double r = 1.0;
    for (int j = 0; j <= 2 * i && j < n; j++)
      r = r * 0.5 + sin(x[j] * r);
    s += r * x[i];
  }
  return s;
}

double nest_invariant(const double *x, long n, int reps, int steps) {
  double s = 0.0;
  for (int a = 0; a < reps; a++)
    for (int t = 0; t < steps; t++)
      for (long i = 1; i < n - 1; i++)
        s = s * 0.5 + sin(x[i] * (1.0 + 0.1 * t) + s * a);
  return s;
}

struct buf {
  long len;
  double *data;
};

double reread_bound(struct buf *b) {
  double s = 0.0;
  for (long i = 0; i < b->len; i++) {
    s = s * 0.9 + exp(-b->data[i] * s);
    if (s > 100.0)
      b->len = i; /* the bound may change: scalar evolution cannot bound it */
  }
  return s;
}

#define NMAX 5000
static double X[NMAX], D[NMAX], T[NMAX];
static long g_n;
static double p_stride3(const double *x, const void *c) { (void)c; return stride3(x, 2, (int)g_n); }
static double p_early(const double *x, const void *c) { (void)c; return early_exit(x, g_n); }
static double p_down(const double *x, const void *c) { (void)c; return count_down(x, (unsigned)g_n); }
static double p_grow(const double *x, const void *c) { (void)c; return growing_inner(x, (int)g_n); }
static double p_nest(const double *x, const void *c) { (void)c; return nest_invariant(x, g_n, 2, 3); }
static double p_reread(const double *x, const void *c) {
  (void)c;
  struct buf b = {g_n, (double *)x};
  return reread_bound(&b);
}

typedef double (*prim_fn)(const double *, const void *);

/* reverse gradient in D; forward along T must equal <D, T>; FD on the first few coordinates */
static void check_all(const char *name, long n, prim_fn p, int fd_coords) {
  char what[160];
  double fwd;
  if (!strcmp(name, "stride3")) {
    __enzyme_autodiff((void *)stride3, X, D, 2, (int)n);
    fwd = __enzyme_fwddiff((void *)stride3, X, T, 2, (int)n);
  } else if (!strcmp(name, "early_exit")) {
    __enzyme_autodiff((void *)early_exit, X, D, n);
    fwd = __enzyme_fwddiff((void *)early_exit, X, T, n);
  } else if (!strcmp(name, "count_down")) {
    __enzyme_autodiff((void *)count_down, X, D, (unsigned)n);
    fwd = __enzyme_fwddiff((void *)count_down, X, T, (unsigned)n);
  } else if (!strcmp(name, "growing_inner")) {
    __enzyme_autodiff((void *)growing_inner, X, D, (int)n);
    fwd = __enzyme_fwddiff((void *)growing_inner, X, T, (int)n);
  } else if (!strcmp(name, "nest_invariant")) {
    __enzyme_autodiff((void *)nest_invariant, X, D, n, 2, 3);
    fwd = __enzyme_fwddiff((void *)nest_invariant, X, T, n, 2, 3);
  } else {
    static double DD[NMAX];
    struct buf b = {n, X}, db = {0, DD};
    memset(DD, 0, sizeof DD);
    __enzyme_autodiff((void *)reread_bound, &b, &db);
    memcpy(D, DD, sizeof DD);
    struct buf b2 = {n, X}, tb = {0, T};
    fwd = __enzyme_fwddiff((void *)reread_bound, &b2, &tb);
  }
  snprintf(what, sizeof what, "%s n=%ld forward = <reverse, t>", name, n);
  CHECK_CLOSE(what, fwd, dotv(D, T, (int)(n < NMAX ? n : NMAX)), 1e-9, 1e-12);
  int m = fd_coords < n ? fd_coords : (int)n;
  for (int i = 0; i < m; i++) {
    snprintf(what, sizeof what, "%s n=%ld d/dx[%d] vs FD", name, n, i);
    CHECK_CLOSE(what, D[i], fdvc(p, NULL, X, (int)n, i), RTOL_FD, ATOL_FD);
  }
}

int main(void) {
  unsigned s = 99;
  for (int i = 0; i < NMAX; i++) {
    X[i] = 0.8 * prand(&s);
    T[i] = prand(&s);
  }
  X[3500] = 0.95; /* early_exit stops there for large n */
  static const long ns[] = {0, 1, 2, 7, 64, 1000, 4000};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    long n = ns[c];
    g_n = n;
    memset(D, 0, sizeof D);
    check_all("stride3", n, p_stride3, 8);
    memset(D, 0, sizeof D);
    check_all("early_exit", n, p_early, 8);
    memset(D, 0, sizeof D);
    check_all("count_down", n, p_down, 8);
    if (n <= 1000) {
      memset(D, 0, sizeof D);
      check_all("growing_inner", n, p_grow, 6);
    }
    memset(D, 0, sizeof D);
    check_all("nest_invariant", n, p_nest, 8);
    memset(D, 0, sizeof D);
    check_all("reread_bound", n, p_reread, 8);
  }
  return check_report();
}
