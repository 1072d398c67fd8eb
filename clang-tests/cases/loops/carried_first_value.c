// A rotated loop's carried bound `p0` (a header phi: the previous iteration's `bound[i + 1]`)
// is rebuilt in the reverse sweep as `bound[i]`; on the first iteration it must be the phi's
// own start. Where that start is `bound[0]` itself (read before the loop), the rebuilt value
// needs no first-iteration test; where it is something else (`first[0]`, here not equal to
// bound[0]) the test must stay, or the first row would use the wrong range. Both shapes, with
// the inner range empty, shorter or longer on the first row. Oracle: the analytic gradient,
// d/dv[p] = sin(x[p]) w[i], d/dx[p] = v[p] cos(x[p]) w[i] for p in row i's range.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

#define NR 6
#define NNZ 16

__attribute__((noinline)) double rows_from_bound(const int *restrict bound, const double *restrict v,
                                                 const double *restrict x, long n) {
  double s = 0;
  int p0 = bound[0];
  for (long i = 0; i < n; i++) {
    int p1 = bound[i + 1];
    double r = 0;
    for (int p = p0; p < p1; p++)
      r += v[p] * sin(x[p]);
    s += r * (double)(i + 1);
    p0 = p1;
  }
  return s;
}

__attribute__((noinline)) double rows_from_first(const int *restrict bound, const int *restrict first,
                                                 const double *restrict v, const double *restrict x, long n) {
  double s = 0;
  int p0 = first[0];
  for (long i = 0; i < n; i++) {
    int p1 = bound[i + 1];
    double r = 0;
    for (int p = p0; p < p1; p++)
      r += v[p] * sin(x[p]);
    s += r * (double)(i + 1);
    p0 = p1;
  }
  return s;
}

static void expect(const char *what, const int *bound, int start, const double *v, const double *x,
                   const double *dv, const double *dx) {
  double wv[NNZ] = {0}, wx[NNZ] = {0};
  int p0 = start;
  for (int i = 0; i < NR; i++) {
    for (int p = p0; p < bound[i + 1]; p++) {
      wv[p] += sin(x[p]) * (double)(i + 1);
      wx[p] += v[p] * cos(x[p]) * (double)(i + 1);
    }
    p0 = bound[i + 1];
  }
  for (int p = 0; p < NNZ; p++) {
    CHECK_CLOSE_AT(what, p, dv[p], wv[p], 1e-12, 1e-14);
    CHECK_CLOSE_AT(what, p, dx[p], wx[p], 1e-12, 1e-14);
  }
}

int main(void) {
  static const int bound[NR + 1] = {1, 4, 4, 7, 11, 12, 16};
  double v[NNZ], x[NNZ];
  unsigned s = 99;
  for (int p = 0; p < NNZ; p++) {
    v[p] = prand(&s);
    x[p] = prand(&s);
  }
  double dv[NNZ] = {0}, dx[NNZ] = {0};
  __enzyme_autodiff((void *)rows_from_bound, enzyme_const, bound, enzyme_dup, v, dv, enzyme_dup, x, dx,
                    enzyme_const, (long)NR);
  expect("p0 starts at bound[0]", bound, bound[0], v, x, dv, dx);
  static const int firsts[3] = {0, 3, 5}; // longer, shorter, empty first row than bound[0] gives
  for (int f = 0; f < 3; f++) {
    for (int p = 0; p < NNZ; p++)
      dv[p] = dx[p] = 0;
    __enzyme_autodiff((void *)rows_from_first, enzyme_const, bound, enzyme_const, &firsts[f], enzyme_dup, v, dv,
                      enzyme_dup, x, dx, enzyme_const, (long)NR);
    expect("p0 starts at first[0]", bound, firsts[f], v, x, dv, dx);
  }
  return check_report();
}
