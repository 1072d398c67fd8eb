// CFLAGS: -fopenmp
// C11 `_Atomic double` / `_Atomic float` compound updates (`s += v`, `s -= v`), serial and inside
// a parallel region. clang writes them as compare-and-swap loops on the float's bits (with
// `llvm.fmuladd(a, b, old)` when `v` is a product), once refused as "exchanges its bits in a
// compare-and-swap loop"; ferment now reads such a loop as the atomic `s += v` it is. Oracles:
// the gradient of J = ws * s + wf * sf in every x_i (reverse) against central finite differences
// of the double part plus the float part's analytic derivative (wf * (3 x_i^2 - [i = 0]); finite
// differences of a float accumulator are too noisy), forward against reverse, with 1, 2 and 4
// threads.
#include "check.h"
#include <omp.h>
#include <stdatomic.h>

#define N 9
extern int enzyme_const, enzyme_dup, enzyme_out;
void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

void acc(const double *x, _Atomic double *s, _Atomic float *sf, int n) {
  for (int i = 0; i < n; i++) {
    *s += x[i] * x[i];
    *s -= 0.5 * sin(x[i]);
  }
#pragma omp parallel for
  for (int i = 0; i < n; i++) {
    *s += cos(x[i]) * x[(i + 1) % n];
    *sf += (float)(x[i] * x[i] * x[i]);
  }
  *sf -= (float)x[0];
}

static const double ws = 0.75, wf = -1.25;

static double J(const double *x) {
  _Atomic double s = 0.5;
  _Atomic float sf = 0.25f;
  acc(x, &s, &sf, N);
  return ws * s;
}

static void check(int threads) {
  char what[160];
  double x[N], dx[N], tx[N], v[N];
  omp_set_num_threads(threads);
  for (int i = 0; i < N; i++) {
    x[i] = 0.3 + 0.17 * i - 0.03 * i * i;
    v[i] = 0.4 - 0.09 * i;
    dx[i] = 0.0;
  }
  _Atomic double s = 0.5, ds = ws;
  _Atomic float sf = 0.25f, dsf = (float)wf;
  __enzyme_autodiff((void *)acc, enzyme_dup, x, dx, enzyme_dup, &s, &ds, enzyme_dup, &sf, &dsf, N);
  snprintf(what, sizeof what, "adjoint of s unchanged, %d threads", threads);
  CHECK_CLOSE(what, ds, ws, 0.0, 0.0);
  double dot = 0.0;
  for (int i = 0; i < N; i++) {
    double p[N], m[N], h = 1e-6;
    memcpy(p, x, sizeof p);
    memcpy(m, x, sizeof m);
    p[i] += h;
    m[i] -= h;
    double want = (J(p) - J(m)) / (2 * h) + wf * (3.0 * x[i] * x[i] - (i == 0));
    snprintf(what, sizeof what, "reverse dJ/dx[%d] vs finite differences, %d threads", i, threads);
    CHECK_CLOSE(what, dx[i], want, 1e-6, 1e-6);
    dot += v[i] * dx[i];
  }
  s = 0.5;
  sf = 0.25f;
  _Atomic double ts = 0.0;
  _Atomic float tsf = 0.0f;
  memcpy(tx, v, sizeof tx);
  __enzyme_fwddiff((void *)acc, enzyme_dup, x, tx, enzyme_dup, &s, &ts, enzyme_dup, &sf, &tsf, N);
  snprintf(what, sizeof what, "forward vs reverse, %d threads", threads);
  CHECK_CLOSE(what, ws * ts + wf * tsf, dot, 1e-6, 1e-6);
}

int main(void) {
  static const int threads[] = {1, 2, 4};
  for (unsigned k = 0; k < COUNT_OF(threads); k++)
    check(threads[k]);
  return check_report();
}
