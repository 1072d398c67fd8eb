// A growable array of active values (`push` doubles the capacity with realloc, starting from 1,
// so the data moves several times), a filter that shrinks it with realloc, then a reduction;
// the classic C "vector" people write before they differentiate it. Oracle: analytic gradient
// and finite differences, reverse and forward.
#include "check.h"
#include <stdlib.h>

extern double __enzyme_autodiff(void *, ...);
extern double __enzyme_fwddiff(void *, ...);

typedef struct {
  double *data;
  size_t len, cap;
} Vec;

static void push(Vec *v, double x) {
  if (v->len == v->cap) {
    v->cap = v->cap ? 2 * v->cap : 1;
    v->data = (double *)realloc(v->data, v->cap * sizeof(double));
  }
  v->data[v->len++] = x;
}

static double energy(const double *x, int n) {
  Vec v = {0, 0, 0};
  for (int i = 0; i < n; i++) {
    push(&v, x[i] * x[i]);
    push(&v, sin(x[i]));
  }
  // keep every third element, shrink the block to fit
  size_t k = 0;
  for (size_t i = 0; i < v.len; i += 3) v.data[k++] = v.data[i];
  v.data = (double *)realloc(v.data, k * sizeof(double));
  double s = 0;
  for (size_t i = 0; i < k; i++) s += v.data[i] * (1.0 + 0.5 * i);
  free(v.data);
  return s;
}

#define N 7
static double xs[N] = {0.3, -1.2, 0.7, 2.0, -0.4, 1.5, 0.9};
static int which;
static double one(double t) {
  double y[N];
  for (int i = 0; i < N; i++) y[i] = xs[i];
  y[which] = t;
  return energy(y, N);
}

int main(void) {
  double g[N] = {0};
  __enzyme_autodiff((void *)energy, xs, g, N);
  for (int i = 0; i < N; i++) {
    which = i;
    double want = fd1(one, xs[i]);
    CHECK_CLOSE_AT("reverse vs finite differences", i, g[i], want, RTOL_FD, ATOL_FD);
    double d[N] = {0};
    d[i] = 1;
    CHECK_CLOSE_AT("forward vs reverse", i, __enzyme_fwddiff((void *)energy, xs, d, N), g[i],
                   RTOL_D, ATOL_D);
  }
  return check_report();
}
