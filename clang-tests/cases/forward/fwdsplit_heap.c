// __enzyme_fwdsplit over a function with heap scratch memory (malloc/free inside), a loop whose
// trip count is only known at run time, and a noinline helper; scalar and batched
// (enzyme_width 3, enzyme_dupv tangents and results); the tape comes from __enzyme_augmentfwd
// (kept with enzyme_nofree) and is consumed afterwards by __enzyme_reverse.
// Oracles: central finite differences along each direction, __enzyme_fwddiff with the same
// direction, the primal outputs left as the augmented pass wrote them, and the reverse sweep's
// gradient from the same tape (<grad, v> == tangent of the weighted output).
#include "check.h"
#include <stdlib.h>

extern int enzyme_width, enzyme_dup, enzyme_dupv, enzyme_const, enzyme_nofree;
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_fwdsplit(void *, ...);
void __enzyme_fwdsplit_v(void *, ...) __asm__("__enzyme_fwdsplit");
double __enzyme_fwddiff(void *, ...);
void __enzyme_reverse(void *, ...);

__attribute__((noinline)) static double smooth(double a, double b) { return a * tanh(b) + 0.1 * a * a; }

// out[i] = smooth(w[i], x[i+1]) with w = a heap copy of a transformed x; returns sum out^2.
static double g(const double *x, double *out, int n) {
  double *w = malloc(n * sizeof *w), s = 0;
  for (int i = 0; i < n; i++) w[i] = exp(0.2 * x[i]) - x[(i + 2) % n];
  for (int i = 0; i < n; i++) {
    out[i] = smooth(w[i], x[(i + 1) % n]);
    s += out[i] * out[i];
  }
  free(w);
  return s;
}

enum { MAXN = 12 };
static int n_runtime; // set at run time: the trip count is not a constant
static int which;
static double out_k(const double *x) {
  double out[MAXN];
  g(x, out, n_runtime);
  return out[which];
}
static double ret_v(const double *x) {
  double out[MAXN];
  return g(x, out, n_runtime);
}

int main(int argc, char **argv) {
  (void)argv;
  n_runtime = 9 + (argc > 5);
  int n = n_runtime;
  char what[128];
  double x[MAXN], out[MAXN], kept[MAXN], sx[MAXN] = {0}, sout[MAXN] = {0};
  for (int i = 0; i < n; i++) x[i] = 0.4 * sin(1.3 * i + 0.2);
  void *tape = __enzyme_augmentfwd((void *)g, enzyme_dup, x, sx, enzyme_dup, out, sout, enzyme_const, n);
  for (int i = 0; i < n; i++) kept[i] = out[i];

  // Scalar: one direction.
  double v[MAXN], dout[MAXN] = {0};
  for (int i = 0; i < n; i++) v[i] = cos(0.7 * i) - 0.3;
  double t = __enzyme_fwdsplit((void *)g, enzyme_nofree, enzyme_dup, x, v, enzyme_dup, out, dout,
                               enzyme_const, n, tape);
  double fd = 0;
  for (int k = 0; k < n; k++) fd += v[k] * fdv(ret_v, x, n, k);
  CHECK_CLOSE("fwdsplit tangent of the result vs FD", t, fd, RTOL_FD, ATOL_FD);
  double dfw[MAXN] = {0}, ofw[MAXN];
  double tf = __enzyme_fwddiff((void *)g, enzyme_dup, x, v, enzyme_dup, ofw, dfw, enzyme_const, n);
  CHECK_CLOSE("fwdsplit vs fwddiff (result)", t, tf, RTOL_D, ATOL_D);
  for (int i = 0; i < n; i++) {
    which = i;
    double fdo = 0;
    for (int k = 0; k < n; k++) fdo += v[k] * fdv(out_k, x, n, k);
    snprintf(what, sizeof what, "fwdsplit tangent of out[%d] vs FD", i);
    CHECK_CLOSE(what, dout[i], fdo, RTOL_FD, ATOL_FD);
    snprintf(what, sizeof what, "fwdsplit vs fwddiff out[%d]", i);
    CHECK_CLOSE(what, dout[i], dfw[i], RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "primal out[%d] after fwdsplit", i);
    CHECK_CLOSE(what, out[i], kept[i], 0, 0);
  }

  // Batched: three directions at once, tangents and results through enzyme_dupv.
  double V[3][MAXN], DO[3][MAXN] = {{0}};
  for (int k = 0; k < 3; k++)
    for (int i = 0; i < n; i++) V[k][i] = (i == 2 * k) ? 1.0 : 0.1 * sin(i + k);
  __enzyme_fwdsplit_v((void *)g, enzyme_nofree, enzyme_width, 3, enzyme_dupv, sizeof V[0], x, V[0],
                      enzyme_dupv, sizeof DO[0], out, DO[0], enzyme_const, n, tape);
  for (int k = 0; k < 3; k++)
    for (int i = 0; i < n; i++) {
      which = i;
      double fdo = 0;
      for (int j = 0; j < n; j++) fdo += V[k][j] * fdv(out_k, x, n, j);
      snprintf(what, sizeof what, "batched fwdsplit lane %d out[%d] vs FD", k, i);
      CHECK_CLOSE(what, DO[k][i], fdo, RTOL_FD, ATOL_FD);
    }

  // The same tape's reverse sweep: seed w on out, 1 on the result; <grad, v> against the tangents.
  double wgt[MAXN];
  for (int i = 0; i < n; i++) sout[i] = wgt[i] = 0.5 + 0.1 * i;
  for (int i = 0; i < n; i++) sx[i] = 0;
  __enzyme_reverse((void *)g, enzyme_dup, x, sx, enzyme_dup, out, sout, enzyme_const, n, 1.0, tape);
  double lhs = 0, rhs = t;
  for (int i = 0; i < n; i++) {
    lhs += sx[i] * v[i];
    rhs += wgt[i] * dout[i];
  }
  CHECK_CLOSE("fwdsplit tangents vs the reverse gradient from the same tape", lhs, rhs, RTOL_D, ATOL_D);
  return check_report();
}
