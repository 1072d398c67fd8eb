// Inner loops whose instances start at a counter value the reverse sweep rebuilds instead of
// taping it: when an inner loop leaves (only through its latch) exactly when its induction
// reaches a bound, the number of iterations of each instance follows from its start and bound
// (re-read or recomputed), so the counter's value on entry to the instance is `ridx - m + 1`.
// Each variant has instances of varying length, checked against central finite differences:
//   rows        p = p0 + 1 .. p1 - 1 over CSR-like rows (signed `<` exit; rows of length 0..4,
//               unrolled at -O2/-O3 into a remainder loop and a step-8 loop with a truncated
//               compare),
//   do_once     do { ... } while (++p < n) with p starting at or past n on some rows (one
//               iteration then, not n - start),
//   stride2     p += 2 up to an even bound (the equality exit with step 2),
//   unsigned_   unsigned indices (`<` exit on unsigned values),
//   early_exit  an inner loop with a second exit (break): not counted, its base stays taped.
// RUN: clang opt
#include "check.h"
#include <math.h>

void __enzyme_autodiff(void *, ...);

#define NROW 9
#define NX 40

static int START[NROW + 1] = {0, 1, 1, 4, 9, 9, 12, 20, 21, 30};

__attribute__((noinline)) double rows(const int *restrict st, const double *restrict x, long nrow) {
  double f = 0;
  for (long i = 0; i < nrow; i++) {
    double s = x[i];
    for (int p = st[i] + 1; p < st[i + 1]; p++)
      s += sin(x[p]) * x[(p + i) % NX];
    f += s * s;
  }
  return f;
}

__attribute__((noinline)) double do_once(const int *restrict st, const double *restrict x, long nrow) {
  double f = 0;
  for (long i = 0; i < nrow; i++) {
    int p = st[i] + 2; /* past st[i + 1] on short rows */
    double s = 0.5;
    do {
      s = s * x[p % NX] + cos(x[(p + 3) % NX]);
    } while (++p < st[i + 1]);
    f += s * x[i];
  }
  return f;
}

__attribute__((noinline)) double stride2(const double *restrict x, long nrow) {
  double f = 0;
  for (long i = 0; i < nrow; i++) {
    long n = 2 * (i % 4) + 2;
    double s = 1;
    for (long p = 0; p != n; p += 2)
      s = s * x[p + i] + x[p + 1 + i] * x[p + 1 + i];
    f += log(1 + s * s);
  }
  return f;
}

__attribute__((noinline)) double unsigned_(const unsigned *restrict st, const double *restrict x, unsigned nrow) {
  double f = 0;
  for (unsigned i = 0; i < nrow; i++) {
    double s = 0;
    for (unsigned p = st[i]; p < st[i + 1]; p++)
      s += x[p] * x[p] * x[i];
    f += exp(0.1 * s);
  }
  return f;
}

__attribute__((noinline)) double early_exit(const int *restrict st, const double *restrict x, long nrow) {
  double f = 0;
  for (long i = 0; i < nrow; i++) {
    double s = 0;
    for (int p = st[i]; p < st[i + 1]; p++) {
      if (x[p] > 0.9)
        break;
      s += x[p] * x[(p + 1) % NX];
    }
    f += s * s;
  }
  return f;
}

static double X[NX];

static double f_rows(void) { return rows(START, X, NROW); }
static double f_do_once(void) { return do_once(START, X, NROW); }
static double f_stride2(void) { return stride2(X, NROW); }
static unsigned USTART[NROW + 1];
static double f_unsigned(void) { return unsigned_(USTART, X, NROW); }
static double f_early(void) { return early_exit(START, X, NROW); }

static void fd_compare(const char *what, double (*f)(void), const double *dx) {
  const double h = 1e-6;
  for (int k = 0; k < NX; k++) {
    double v = X[k];
    X[k] = v + h;
    double fp = f();
    X[k] = v - h;
    double fm = f();
    X[k] = v;
    CHECK_CLOSE(what, dx[k], (fp - fm) / (2 * h), 1e-6, 1e-8);
  }
}

int main(void) {
  for (int k = 0; k < NX; k++)
    X[k] = 0.05 + 0.8 * (double)((k * 7) % 17) / 17.0;
  for (int k = 0; k <= NROW; k++)
    USTART[k] = (unsigned)START[k];
  double d1[NX] = {0}, d2[NX] = {0}, d3[NX] = {0}, d4[NX] = {0}, d5[NX] = {0};
  __enzyme_autodiff((void *)rows, enzyme_const, START, enzyme_dup, X, d1, enzyme_const, (long)NROW);
  fd_compare("rows vs central differences", f_rows, d1);
  __enzyme_autodiff((void *)do_once, enzyme_const, START, enzyme_dup, X, d2, enzyme_const, (long)NROW);
  fd_compare("do_once vs central differences", f_do_once, d2);
  __enzyme_autodiff((void *)stride2, enzyme_dup, X, d3, enzyme_const, (long)NROW);
  fd_compare("stride2 vs central differences", f_stride2, d3);
  __enzyme_autodiff((void *)unsigned_, enzyme_const, USTART, enzyme_dup, X, d4, enzyme_const, (unsigned)NROW);
  fd_compare("unsigned_ vs central differences", f_unsigned, d4);
  __enzyme_autodiff((void *)early_exit, enzyme_const, START, enzyme_dup, X, d5, enzyme_const, (long)NROW);
  fd_compare("early_exit vs central differences", f_early, d5);
  return check_report();
}
