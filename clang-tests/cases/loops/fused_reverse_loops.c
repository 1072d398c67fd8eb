// Adjacent loops over the same range: their reverse loops follow each other and run the same
// number of iterations, so the plugin fuses a pair into one pass over the shadow array where
// every dependence allows it (`shim/fuse_loops.cpp`; log-sum-exp minus a dot product,
// benches/src/lse.c: `dx -= t` and `dx += e r`). In `sums` the reverses of `a`/`b` and of
// `s`/`u` fuse (at -O2, same index); the shifted `c` and `d` loops stay apart. `hazard` and
// `ahead` write a scratch array and read it shifted, in the two directions; only `ahead` keeps
// every dependence in order if fused (its reverse loops are rotated and stay apart today).
// Oracles: central finite differences of every component, forward mode against reverse mode,
// at every optimization level.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_dupnoneed;

#define N 37
#define NX (N + 2)

__attribute__((noinline)) double sums(const double *x, const double *t, long n) {
  double a = 0, b = 0, c = 0, d = 0;
  for (long i = 0; i < n; i++) a += x[i] * x[i];
  for (long i = 0; i < n; i++) b += t[i] * x[i];
  for (long i = 0; i < n; i++) c += x[i + 1] * x[i + 2];
  for (long i = 0; i < n; i++) d += x[i] * t[i] * x[i + 1];
  double m = x[0];
  for (long i = 1; i < n; i++)
    if (m < x[i]) m = x[i];
  double s = 0;
  for (long i = 0; i < n; i++) s += exp(x[i] - m);
  double u = 0;
  for (long i = 0; i < n; i++) u += t[i] * x[i];
  return log(1 + a) + b * b + sin(c) + d * a + log(s) + m - u;
}

// A scratch array written by one loop and read shifted by the next. In `hazard` the reader
// takes y[i + 1]: its reverse adds into y's shadow at i + 1, which the writer's reverse reads
// (and clears) at i, one iteration of the fused descending loop later than the add it needs,
// so the pair must stay apart. In `ahead` the writer fills y[i + 1] and the reader takes y[i]:
// the adds land at i before the writer's reverse reads i + 1 an iteration earlier, in the
// order the two loops had, so the pair may be fused.
__attribute__((noinline)) double hazard(const double *x, double *y, long n) {
  y[n] = x[n] * x[n + 1];
  for (long i = 0; i < n; i++) y[i] = x[i] * x[i + 1];
  double s = 0;
  for (long i = 0; i < n; i++) s += y[i + 1] * x[i];
  return s;
}

__attribute__((noinline)) double ahead(const double *x, double *y, long n) {
  y[0] = x[0] * x[0];
  for (long i = 0; i < n; i++) y[i + 1] = x[i] * x[i + 1];
  double s = 0;
  for (long i = 0; i < n; i++) s += y[i] * x[i + 1];
  return s;
}

static void check_sums(const double *x, const double *t) {
  double g[NX] = {0};
  __enzyme_autodiff((void *)sums, enzyme_dup, x, g, enzyme_const, t, enzyme_const, (long)N);
  for (int k = 0; k < NX; k++) {
    double xp[NX], xm[NX], dir[NX] = {0};
    for (int j = 0; j < NX; j++) xp[j] = xm[j] = x[j];
    xp[k] += 1e-6;
    xm[k] -= 1e-6;
    dir[k] = 1;
    double fd = (sums(xp, t, N) - sums(xm, t, N)) / 2e-6;
    double fw = __enzyme_fwddiff((void *)sums, enzyme_dup, x, dir, enzyme_const, t, enzyme_const, (long)N);
    CHECK_CLOSE_AT("sums reverse vs fd", k, g[k], fd, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("sums forward vs reverse", k, fw, g[k], RTOL_D, ATOL_D);
  }
}

typedef double (*scratch_fn)(const double *, double *, long);

static void check_scratch(const char *what, scratch_fn f, const double *x) {
  double g[NX] = {0}, y[NX], dy[NX] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, g, enzyme_dup, y, dy, enzyme_const, (long)N);
  for (int k = 0; k < NX; k++) {
    double xp[NX], xm[NX], dir[NX] = {0}, yd[NX] = {0};
    for (int j = 0; j < NX; j++) xp[j] = xm[j] = x[j];
    xp[k] += 1e-6;
    xm[k] -= 1e-6;
    dir[k] = 1;
    double fd = (f(xp, y, N) - f(xm, y, N)) / 2e-6;
    double fw = __enzyme_fwddiff((void *)f, enzyme_dup, x, dir, enzyme_dup, y, yd, enzyme_const, (long)N);
    CHECK_CLOSE_AT(what, k, g[k], fd, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT(what, k, fw, g[k], RTOL_D, ATOL_D);
  }
}

int main(void) {
  double x[NX], t[NX];
  for (int k = 0; k < NX; k++) {
    x[k] = 0.4 * sin(1.7 * k + 0.3);
    t[k] = 0.5 + 0.25 * cos(0.9 * k);
  }
  check_sums(x, t);
  check_scratch("hazard", hazard, x);
  check_scratch("ahead", ahead, x);
  return check_report();
}
