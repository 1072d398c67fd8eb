// __enzyme_fwdsplit reads the values the augmented forward pass read from its tape: the caller
// changes the inputs (and the outputs) between __enzyme_augmentfwd and __enzyme_fwdsplit, and the
// function itself overwrites its input (x[i] = x[i] * x[i] + ...), uses heap scratch memory and
// loops whose trip count is known only at run time. The tangents must be those at the taped point.
// Oracles, all at the original inputs: __enzyme_fwddiff on a copy, central finite differences
// (result, out[], the overwritten x[]), and the reverse sweep of the same tape
// (<grad, v> == tangent of the weighted outputs). fwdsplit itself writes no primal memory.
// Scalar, then batched (enzyme_width 3 with enzyme_dupv), from one tape (enzyme_nofree).
// RUN: clang opt
#include "check.h"
#include <stdlib.h>

extern int enzyme_width, enzyme_dup, enzyme_dupv, enzyme_const, enzyme_nofree;
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_fwdsplit(void *, ...);
void __enzyme_fwdsplit_v(void *, ...) __asm__("__enzyme_fwdsplit");
double __enzyme_fwddiff(void *, ...);
void __enzyme_reverse(void *, ...);

static double g(double *x, double *out, int n) {
  double *w = malloc(n * sizeof *w), s = 0;
  for (int i = 0; i < n; i++) w[i] = exp(0.3 * x[i]) * x[(i + 1) % n];
  for (int i = 0; i < n; i++) {
    out[i] = w[i] * sin(x[i]) + w[(i + 2) % n];
    if (out[i] > 0.1) s += out[i] * x[i];
    else s -= 0.5 * out[i] * out[i];
  }
  for (int i = 0; i < n; i++) x[i] = x[i] * x[i] + 0.5 * w[i];
  free(w);
  return s;
}

enum { MAXN = 12 };
static int n_runtime, which;
static double ret_v(const double *x0) {
  double x[MAXN], out[MAXN];
  for (int i = 0; i < n_runtime; i++) x[i] = x0[i];
  return g(x, out, n_runtime);
}
static double out_k(const double *x0) {
  double x[MAXN], out[MAXN];
  for (int i = 0; i < n_runtime; i++) x[i] = x0[i];
  g(x, out, n_runtime);
  return out[which];
}
static double x_k(const double *x0) {
  double x[MAXN], out[MAXN];
  for (int i = 0; i < n_runtime; i++) x[i] = x0[i];
  g(x, out, n_runtime);
  return x[which];
}
static double fd_dir(double (*f)(const double *), const double *x0, const double *v) {
  double fd = 0;
  for (int k = 0; k < n_runtime; k++) fd += v[k] * fdv(f, x0, n_runtime, k);
  return fd;
}

int main(int argc, char **argv) {
  (void)argv;
  n_runtime = 9 + (argc > 5);
  int n = n_runtime;
  char what[160];
  double x0[MAXN], x[MAXN], out[MAXN], sx[MAXN] = {0}, sout[MAXN] = {0};
  for (int i = 0; i < n; i++) x[i] = x0[i] = 0.6 * sin(1.3 * i + 0.2) + 0.1;
  void *tape = __enzyme_augmentfwd((void *)g, enzyme_dup, x, sx, enzyme_dup, out, sout, enzyme_const, n);
  // The caller changes the inputs and the outputs before asking for the tangents.
  for (int i = 0; i < n; i++) {
    x[i] = 3.0 + i;
    out[i] = -7.0 - i;
  }

  // Scalar: one direction v; dx carries v in and the tangent of the overwritten x out.
  double v[MAXN], dx[MAXN], dout[MAXN] = {0};
  for (int i = 0; i < n; i++) dx[i] = v[i] = cos(0.7 * i) - 0.3;
  double t = __enzyme_fwdsplit((void *)g, enzyme_nofree, enzyme_dup, x, dx, enzyme_dup, out, dout,
                               enzyme_const, n, tape);
  for (int i = 0; i < n; i++) {
    snprintf(what, sizeof what, "fwdsplit leaves x[%d] as the caller set it", i);
    CHECK_CLOSE(what, x[i], 3.0 + i, 0, 0);
    snprintf(what, sizeof what, "fwdsplit leaves out[%d] as the caller set it", i);
    CHECK_CLOSE(what, out[i], -7.0 - i, 0, 0);
  }
  double xf[MAXN], of[MAXN], dxf[MAXN], dof[MAXN] = {0};
  for (int i = 0; i < n; i++) {
    xf[i] = x0[i];
    dxf[i] = v[i];
  }
  double tf = __enzyme_fwddiff((void *)g, enzyme_dup, xf, dxf, enzyme_dup, of, dof, enzyme_const, n);
  CHECK_CLOSE("fwdsplit vs fwddiff at the taped point (result)", t, tf, RTOL_D, ATOL_D);
  CHECK_CLOSE("fwdsplit tangent of the result vs FD", t, fd_dir(ret_v, x0, v), RTOL_FD, ATOL_FD);
  for (int i = 0; i < n; i++) {
    which = i;
    snprintf(what, sizeof what, "fwdsplit vs fwddiff out[%d]", i);
    CHECK_CLOSE(what, dout[i], dof[i], RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "fwdsplit vs fwddiff new x[%d]", i);
    CHECK_CLOSE(what, dx[i], dxf[i], RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "fwdsplit tangent of out[%d] vs FD", i);
    CHECK_CLOSE(what, dout[i], fd_dir(out_k, x0, v), RTOL_FD, ATOL_FD);
    snprintf(what, sizeof what, "fwdsplit tangent of the new x[%d] vs FD", i);
    CHECK_CLOSE(what, dx[i], fd_dir(x_k, x0, v), RTOL_FD, ATOL_FD);
  }

  // Batched: three directions at once from the same tape, after the inputs changed again.
  for (int i = 0; i < n; i++) x[i] = -1.0 - 0.5 * i;
  double V[3][MAXN], DO[3][MAXN] = {{0}}, V0[3][MAXN];
  for (int k = 0; k < 3; k++)
    for (int i = 0; i < n; i++) V0[k][i] = V[k][i] = (i == 3 * k) ? 1.0 : 0.1 * sin(i + k);
  __enzyme_fwdsplit_v((void *)g, enzyme_nofree, enzyme_width, 3, enzyme_dupv, sizeof V[0], x, V[0],
                      enzyme_dupv, sizeof DO[0], out, DO[0], enzyme_const, n, tape);
  for (int k = 0; k < 3; k++) {
    for (int i = 0; i < n; i++) {
      xf[i] = x0[i];
      dxf[i] = V0[k][i];
      dof[i] = 0;
    }
    __enzyme_fwddiff((void *)g, enzyme_dup, xf, dxf, enzyme_dup, of, dof, enzyme_const, n);
    for (int i = 0; i < n; i++) {
      which = i;
      snprintf(what, sizeof what, "batched fwdsplit lane %d out[%d] vs fwddiff", k, i);
      CHECK_CLOSE(what, DO[k][i], dof[i], RTOL_D, ATOL_D);
      snprintf(what, sizeof what, "batched fwdsplit lane %d new x[%d] vs fwddiff", k, i);
      CHECK_CLOSE(what, V[k][i], dxf[i], RTOL_D, ATOL_D);
      snprintf(what, sizeof what, "batched fwdsplit lane %d out[%d] vs FD", k, i);
      CHECK_CLOSE(what, DO[k][i], fd_dir(out_k, x0, V0[k]), RTOL_FD, ATOL_FD);
    }
  }

  // The same tape's reverse sweep (which frees it): seeds wgt on out, u on the new x, 1 on the
  // result; <grad, v> == t + <wgt, dout> + <u, dx>.
  double wgt[MAXN], u[MAXN];
  for (int i = 0; i < n; i++) {
    sout[i] = wgt[i] = 0.5 + 0.1 * i;
    sx[i] = u[i] = 0.2 - 0.05 * i;
  }
  __enzyme_reverse((void *)g, enzyme_dup, x, sx, enzyme_dup, out, sout, enzyme_const, n, 1.0, tape);
  double lhs = 0, rhs = t;
  for (int i = 0; i < n; i++) {
    lhs += sx[i] * v[i];
    rhs += wgt[i] * dout[i] + u[i] * dx[i];
  }
  CHECK_CLOSE("fwdsplit tangents vs the reverse gradient from the same tape", lhs, rhs, RTOL_D, ATOL_D);
  return check_report();
}
