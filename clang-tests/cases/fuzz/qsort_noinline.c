// CFLAGS: -mllvm -ferment-no-inline
// qsort, qsort_r and bsearch of active data with every call kept (-ferment-no-inline): ferment
// points them at its own sort (`plugin/src/qsort.rs`), which stayed a call of its own and called
// the comparator through a parameter whose targets its derivative could not see, a clean refusal
// ("cannot differentiate an indirect call receiving the active value ... (while differentiating
// 'ferment.qsort.sort')", main 48a3872 at -O0..-O3; corner seeds 27800010, 27800013, 2830016,
// 2830018, 2830029, ...). Now each call goes to a copy of the sort for its comparator and element
// size (`ferment.qsort.cmp=<comparator>.size=<bytes>`). Reverse, forward and batched reverse mode
// (width 2) of doubles, of 16-byte structs sorted by a key, of qsort_r with a context argument;
// reverse and forward mode of bsearch into the sorted array (batched mode does not cover a kept
// call returning a pointer yet).
// Found by ferment-fuzz --variant corner (with -ferment-no-inline).
// Oracles: central differences of the primal (gradient, directional derivative); each batched
// lane against the scalar gradient.
#define _GNU_SOURCE
#include "check.h"
#include <stdlib.h>

extern int enzyme_dup, enzyme_const, enzyme_out, enzyme_width;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
void __enzyme_autodiff_v(void *, ...) __asm__("__enzyme_autodiff");

enum { N = 5 };

struct item {
  double key, w;
};

static int cmpd(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a < b) ? -1 : (a > b);
}

static int cmp_item(const void *pa, const void *pb) {
  const struct item *a = pa, *b = pb;
  return (a->key < b->key) ? -1 : (a->key > b->key);
}

/* descending when *(int *)dir < 0 */
static int cmp_dir(const void *pa, const void *pb, void *dir) {
  double a = *(const double *)pa, b = *(const double *)pb;
  int c = (a < b) ? -1 : (a > b);
  return *(int *)dir < 0 ? -c : c;
}

__attribute__((noinline)) static double sorted_mix(const double *x) {
  double q[N];
  for (int i = 0; i < N; i++)
    q[i] = sin(x[i]) + 0.1 * x[(i + 1) % N];
  qsort(q, N, sizeof(double), &cmpd);
  return q[0] + 2.0 * q[1] * q[N - 1] + q[N / 2] * q[N / 2];
}

__attribute__((noinline)) static double found(const double *x) {
  double q[N];
  for (int i = 0; i < N; i++)
    q[i] = x[i] * x[(i + 1) % N];
  qsort(q, N, sizeof(double), &cmpd);
  double key = q[3];
  const double *hit = bsearch(&key, q, N, sizeof(double), cmpd);
  return hit ? sin(*hit) + q[0] : 0.0;
}

__attribute__((noinline)) static double sorted_items(const double *x) {
  struct item it[N];
  for (int i = 0; i < N; i++) {
    it[i].key = cos(x[i]) * x[(i + 2) % N];
    it[i].w = x[i] * x[i];
  }
  qsort(it, N, sizeof(struct item), cmp_item);
  double s = 0;
  for (int i = 0; i < N; i++)
    s += (i + 1) * it[i].w + it[i].key * it[i].key;
  return s;
}

__attribute__((noinline)) static double sorted_desc(const double *x) {
  double q[N];
  int dir = -1;
  for (int i = 0; i < N; i++)
    q[i] = exp(0.3 * x[i]) - x[(i + 3) % N];
  qsort_r(q, N, sizeof(double), cmp_dir, &dir);
  qsort(q + 1, N - 1, sizeof(double), &cmpd);
  return q[0] * q[1] + 3.0 * q[2] - q[N - 1] * q[N - 1];
}

static double outer(const double *x) {
  return 1.5 * sorted_mix(x) + sorted_items(x) + 0.5 * sorted_desc(x);
}

/* bsearch (a kept call returning a pointer) is not covered by batched mode: outer only */
static double with_search(const double *x) { return outer(x) - 2.0 * found(x); }

static void outer_ret(const double *x, double *out) { *out = outer(x); }

int main(void) {
  const double x[N] = {0.3, -0.2, 0.9, 0.5, -0.7};
  const double v[N] = {0.2, -0.4, 0.1, 0.3, -0.25};
  const double e = 1e-6;
  double d[N] = {0}, ds[N] = {0};
  __enzyme_autodiff((void *)outer, enzyme_dup, x, d);
  __enzyme_autodiff((void *)with_search, enzyme_dup, x, ds);
  for (int i = 0; i < N; i++) {
    double xp[N], xm[N];
    memcpy(xp, x, sizeof xp);
    memcpy(xm, x, sizeof xm);
    xp[i] += e;
    xm[i] -= e;
    CHECK_CLOSE("reverse vs FD", d[i], (outer(xp) - outer(xm)) / (2 * e), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("reverse (bsearch) vs FD", ds[i], (with_search(xp) - with_search(xm)) / (2 * e),
                RTOL_FD, ATOL_FD);
  }
  double xp[N], xm[N];
  for (int i = 0; i < N; i++) {
    xp[i] = x[i] + e * v[i];
    xm[i] = x[i] - e * v[i];
  }
  double df = __enzyme_fwddiff((void *)outer, enzyme_dup, x, v);
  CHECK_CLOSE("forward vs FD", df, (outer(xp) - outer(xm)) / (2 * e), RTOL_FD, ATOL_FD);
  double dfs = __enzyme_fwddiff((void *)with_search, enzyme_dup, x, v);
  CHECK_CLOSE("forward (bsearch) vs FD", dfs, (with_search(xp) - with_search(xm)) / (2 * e),
              RTOL_FD, ATOL_FD);
  // Batched reverse, width 2: seeds 1 and -0.5 of the result.
  double out, dout[2] = {1.0, -0.5}, dx[2][N] = {{0}};
  __enzyme_autodiff_v((void *)outer_ret, enzyme_width, 2, enzyme_dup, x, &dx[0][0], &dx[1][0],
                      enzyme_dup, &out, &dout[0], &dout[1]);
  for (int i = 0; i < N; i++) {
    CHECK_CLOSE("batched lane 0 vs reverse", dx[0][i], d[i], 1e-12, 1e-14);
    CHECK_CLOSE("batched lane 1 vs reverse", dx[1][i], -0.5 * d[i], 1e-12, 1e-14);
  }
  return check_report();
}
