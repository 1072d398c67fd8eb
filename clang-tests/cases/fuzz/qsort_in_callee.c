// qsort of active data in a helper the differentiated function calls (`outer` -> `f`): ferment
// points calls of qsort at its own sort (`plugin/src/qsort.rs`) in the canonical copy, before
// inlining, so at -O0 (where clang inlines nothing) the helper's qsort arrived with the inlined
// body and was refused ("cannot differentiate call to external function 'qsort'", main a845f59
// at -O0). Now the inlined callees' sorts are lowered too. Batched reverse mode (width 2) and
// forward mode of the same kernel, and a callee two calls deep.
// Found by ferment-fuzz --variant corner (seed 27800003's batched reverse wrapper `f_ret`).
// Oracles: central differences of the primal (gradient, directional derivative); each batched
// lane against the scalar gradient.
#include "check.h"
#include <stdlib.h>

extern int enzyme_dup, enzyme_const, enzyme_out, enzyme_width;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
void __enzyme_autodiff_v(void *, ...) __asm__("__enzyme_autodiff");

enum { N = 5 };

static int cmpd(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a < b) ? -1 : (a > b);
}

static double f(const double *x) {
  double q[N];
  for (int i = 0; i < N; i++)
    q[i] = sin(x[i]) + 0.1 * x[(i + 1) % N];
  qsort(q, N, sizeof(double), &cmpd);
  return q[0] + 2.0 * q[1] * q[N - 1] + q[N / 2] * q[N / 2];
}

static double middle(const double *x) { return cos(f(x)); }

static double outer(const double *x) { return 1.5 * middle(x) + x[0] * f(x); }

static void outer_ret(const double *x, double *out) { *out = outer(x); }

int main(void) {
  const double x[N] = {0.3, -0.2, 0.9, 0.5, -0.7};
  const double v[N] = {0.2, -0.4, 0.1, 0.3, -0.25};
  const double e = 1e-6;
  double d[N] = {0};
  __enzyme_autodiff((void *)outer, enzyme_dup, x, d);
  for (int i = 0; i < N; i++) {
    double xp[N], xm[N];
    memcpy(xp, x, sizeof xp);
    memcpy(xm, x, sizeof xm);
    xp[i] += e;
    xm[i] -= e;
    CHECK_CLOSE("reverse vs FD", d[i], (outer(xp) - outer(xm)) / (2 * e), RTOL_FD, ATOL_FD);
  }
  double xp[N], xm[N];
  for (int i = 0; i < N; i++) {
    xp[i] = x[i] + e * v[i];
    xm[i] = x[i] - e * v[i];
  }
  double df = __enzyme_fwddiff((void *)outer, enzyme_dup, x, v);
  CHECK_CLOSE("forward vs FD", df, (outer(xp) - outer(xm)) / (2 * e), RTOL_FD, ATOL_FD);
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
