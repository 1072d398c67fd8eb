// CFLAGS: -fopenmp
// An enzyme_const array that a parallel region reads through its shared variable (the caller
// keeps the pointer in a captured stack slot, the pointer standing for its own shadow there) and
// that helpers kept as calls (noinline) also read, beside a duplicated local array the region
// updates atomically and a helper writes. The shape of fuzzer seed 420036 (see
// openmp/const_shared_noinline_fuzz.c, the program that was refused) written by hand. Oracles:
// central finite differences of J = f + sum w_i y_i in t and every y_i (reverse), forward against
// reverse, and the constant arrays unchanged (one in read-only memory), with 1, 2 and 4 threads.
#include "check.h"
#include <omp.h>

#define N 7
extern int enzyme_const, enzyme_dup, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double table[N] = {0.3, -0.7, 0.9, 0.1, -0.2, 0.6, 0.45};
static const double table_ro[N] = {0.3, -0.7, 0.9, 0.1, -0.2, 0.6, 0.45};

__attribute__((noinline)) static double wsum(const double *c, const double *y, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += c[i] * y[i] * y[i];
  return s;
}

__attribute__((noinline)) static void scale(double *y, const double *c, int n) {
  for (int i = 0; i < n; i++)
    y[i] *= 1.0 + 0.1 * c[i] * y[(i + 1) % n];
}

double f(const double *c, double *y, double t, int n) {
  double a[N];
  for (int i = 0; i < N; i++)
    a[i] = t * y[i];
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < n; i++) {
    double d = sin(y[i] + t * c[i]);
#pragma omp atomic update
    a[i / 2] -= d;
  }
  scale(y, c, n);
  scale(a, c, n);
  return wsum(c, a, n) + t * wsum(y, y, n) + wsum(c, y, n);
}

static double weight(int i) { return 0.5 + 0.25 * (i % 3); }

static double J(const double *c, const double *y0, double t) {
  double y[N];
  memcpy(y, y0, sizeof y);
  double r = f(c, y, t, N);
  for (int i = 0; i < N; i++)
    r += weight(i) * y[i];
  return r;
}

static void check(const double *c, int threads, double t) {
  char what[160];
  double y0[N], y[N], dy[N], ty[N], v[N];
  omp_set_num_threads(threads);
  for (int i = 0; i < N; i++) {
    y0[i] = 0.2 + 0.13 * i - 0.02 * i * i;
    v[i] = 0.3 - 0.11 * i;
  }
  // reverse: seed w on y, 1 on the result
  memcpy(y, y0, sizeof y);
  for (int i = 0; i < N; i++)
    dy[i] = weight(i);
  double gt = __enzyme_autodiff((void *)f, enzyme_const, c, enzyme_dup, y, dy, enzyme_out, t, N);
  double h = 1e-6;
  double fdt = (J(c, y0, t + h) - J(c, y0, t - h)) / (2 * h);
  snprintf(what, sizeof what, "reverse dJ/dt vs finite differences, %d threads", threads);
  CHECK_CLOSE(what, gt, fdt, 1e-6, 1e-8);
  double dot = gt;
  for (int i = 0; i < N; i++) {
    double yp[N], ym[N];
    memcpy(yp, y0, sizeof yp);
    memcpy(ym, y0, sizeof ym);
    yp[i] += h;
    ym[i] -= h;
    double fdi = (J(c, yp, t) - J(c, ym, t)) / (2 * h);
    snprintf(what, sizeof what, "reverse dJ/dy[%d] vs finite differences, %d threads", i, threads);
    CHECK_CLOSE(what, dy[i], fdi, 1e-6, 1e-8);
    dot += v[i] * dy[i];
  }
  // forward along (v, 1): <J', (v, 1)> against the reverse gradient
  memcpy(y, y0, sizeof y);
  memcpy(ty, v, sizeof ty);
  double tr = __enzyme_fwddiff((void *)f, enzyme_const, c, enzyme_dup, y, ty, enzyme_dup, t, 1.0, N);
  for (int i = 0; i < N; i++)
    tr += weight(i) * ty[i];
  snprintf(what, sizeof what, "forward vs reverse, %d threads", threads);
  CHECK_CLOSE(what, tr, dot, 1e-9, 1e-12);
  for (int i = 0; i < N; i++) {
    snprintf(what, sizeof what, "constant array unchanged [%d], %d threads", i, threads);
    CHECK_CLOSE(what, c[i], table_ro[i], 0.0, 0.0);
  }
}

int main(void) {
  static const int threads[] = {1, 2, 4};
  for (unsigned k = 0; k < COUNT_OF(threads); k++) {
    check(table, threads[k], 0.7);
    check(table_ro, threads[k], -1.3);
  }
  return check_report();
}
