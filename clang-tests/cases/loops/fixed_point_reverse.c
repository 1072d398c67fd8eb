// Reverse mode of __enzyme_fixed_point with Enzyme's semantics: the loop runs as written, then
// the adjoint of one step is iterated at the fixed point z* = phi(z*, p), adding the terms
// (phi_z^T)^k z_bar, until the reduction, the iteration limit or the control function stops it.
// Scalar state z = 0.5 cos(z) + a p, loss L = z^2 (+ the state's own use), so with z_bar = 2 z*
// and s = phi_z = -0.5 sin(z*), K passes give dL/dp = a z_bar (1 - s^K) / (1 - s) exactly:
// - converged (default reduction): the implicit-function theorem, a z_bar / (1 - s);
// - enzyme_fp_max_iters K: the truncated sum (the iteration limit is honoured);
// - a control function stopping after K passes (Tapenade's protocol: cumul = -1 first);
// - a step taking its parameter by value (an active scalar, its adjoint summed over the passes);
// - a state of several floats (float elements) against central finite differences.
// Oracles: these formulas, central finite differences of the primal, forward mode with the same
// controls (the tangent iteration truncates the same series).
#include "check.h"
#include <enzyme/fixed_point.h>
#include <stdint.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static const double A = 1.5;

static int step(int64_t i, double *z, const double *p) {
  double t = 0.5 * cos(*z) + A * *p;
  int more = fabs(t - *z) > 0.0 && i < 500;
  *z = t;
  return more;
}

static int step_val(int64_t i, double *z, double p) {
  double t = 0.5 * cos(*z) + A * p;
  int more = fabs(t - *z) > 0.0 && i < 500;
  *z = t;
  return more;
}

static int passes;
static int stop_after_3(double *cumul, double *reduction) {
  (void)reduction;
  if (*cumul < 0) {
    passes = 0;
    return 1;
  }
  return ++passes < 3;
}

static double solve(const double *p) {
  double z = *p; // the initial guess depends on p: it gets no adjoint at the fixed point
  __enzyme_fixed_point((void *)step, enzyme_fp_state, &z, (int64_t)sizeof z, &z, p);
  return z * z;
}

static double solve_k(const double *p, int64_t k) {
  double z = 0;
  __enzyme_fixed_point((void *)step, enzyme_fp_state, &z, (int64_t)sizeof z, enzyme_fp_max_iters,
                       k, &z, p);
  return z * z;
}

static double solve_ctl(const double *p) {
  double z = 0;
  __enzyme_fixed_point((void *)step, enzyme_fp_state, &z, (int64_t)sizeof z, enzyme_fp_control,
                       (void *)stop_after_3, &z, p);
  return z * z;
}

static double solve_val(double p) {
  double z = 0;
  __enzyme_fixed_point((void *)step_val, enzyme_fp_state, &z, (int64_t)sizeof z,
                       enzyme_fp_reduction, 1e-24, &z, p);
  return z * z + p;
}

// A state of three floats: y_k = 0.3 tanh(y_{k+1} + y_{k-1}) + q_k (a contraction).
#define M 3
static int step3(int64_t i, float *y, const float *q) {
  float t[M], d = 0;
  for (int k = 0; k < M; k++) {
    float l = k > 0 ? y[k - 1] : 0.0f, r = k + 1 < M ? y[k + 1] : 0.0f;
    t[k] = 0.3f * tanhf(l + r) + q[k];
  }
  for (int k = 0; k < M; k++) {
    d = fmaxf(d, fabsf(t[k] - y[k]));
    y[k] = t[k];
  }
  return d > 0.0f && i < 200;
}

static float solve3(const float *q) {
  float y[M] = {0, 0, 0};
  __enzyme_fixed_point((void *)step3, enzyme_fp_state, y, (int64_t)sizeof y, y, q);
  return y[0] * y[0] + 2.0f * y[1] - y[2] * y[1];
}

// The same fixed point in double precision, iterated by hand: the finite-difference oracle.
static double solve3d(const double *q) {
  double y[M] = {0, 0, 0}, t[M];
  for (int i = 0; i < 200; i++) {
    for (int k = 0; k < M; k++)
      t[k] = 0.3 * tanh((k > 0 ? y[k - 1] : 0.0) + (k + 1 < M ? y[k + 1] : 0.0)) + q[k];
    for (int k = 0; k < M; k++)
      y[k] = t[k];
  }
  return y[0] * y[0] + 2.0 * y[1] - y[2] * y[1];
}
static double packed3(const double *q, const void *ctx) {
  (void)ctx;
  return solve3d(q);
}

static double fixed(double p) {
  double z = 0;
  for (int i = 0; i < 500; i++) {
    double t = 0.5 * cos(z) + A * p;
    if (t == z)
      break;
    z = t;
  }
  return z;
}
static double loss_of(double p) {
  double z = fixed(p);
  return z * z;
}

int main(void) {
  static const double ps[] = {0.2, -0.35, 0.7};
  char what[256];
  for (unsigned n = 0; n < COUNT_OF(ps); n++) {
    double p = ps[n], z = fixed(p), s = -0.5 * sin(z), zbar = 2.0 * z;
    double exact = A * zbar / (1.0 - s);
#define W(t) (snprintf(what, sizeof what, "%s at p = %g", t, p), what)
    CHECK_CLOSE(W("oracle: implicit-function theorem vs finite differences"), exact, fd1(loss_of, p), RTOL_FD, ATOL_FD);
    double dp = 0;
    __enzyme_autodiff((void *)solve, &p, &dp);
    // (the default reduction stops when the squared norm of a term is 1e-12 of the first's)
    CHECK_CLOSE(W("reverse, converged"), dp, exact, 1e-5, 1e-12);
    for (int64_t k = 1; k <= 4; k++) {
      double trunc = A * zbar * (1.0 - pow(s, (double)k)) / (1.0 - s);
      double dk = 0;
      __enzyme_autodiff((void *)solve_k, &p, &dk, k);
      snprintf(what, sizeof what, "reverse, enzyme_fp_max_iters %d at p = %g", (int)k, p);
      CHECK_CLOSE(what, dk, trunc, 1e-12, 1e-14);
      snprintf(what, sizeof what, "forward, enzyme_fp_max_iters %d at p = %g", (int)k, p);
      double one = 1.0;
      CHECK_CLOSE(what, __enzyme_fwddiff((void *)solve_k, &p, &one, k), trunc, 1e-12, 1e-14);
    }
    double dc = 0;
    __enzyme_autodiff((void *)solve_ctl, &p, &dc);
    CHECK_CLOSE(W("reverse, control stopping after 3 passes"), dc, A * zbar * (1.0 - s * s * s) / (1.0 - s), 1e-12, 1e-14);
    CHECK_TRUE(W("the control function ran 3 passes"), passes == 3);
    CHECK_CLOSE(W("reverse, parameter by value (active scalar)"), __enzyme_autodiff((void *)solve_val, p), exact + 1.0, 1e-9, 1e-12);
#undef W
  }
  double q[M] = {0.2, -0.4, 0.1}, g[M];
  float qf[M] = {0.2f, -0.4f, 0.1f}, gf[M] = {0, 0, 0};
  __enzyme_autodiff((void *)solve3, qf, gf);
  for (int k = 0; k < M; k++)
    g[k] = gf[k];
  CHECK_GRAD_FD("reverse, float state of 3 vs finite differences", packed3, NULL, q, M, g, 1e-4, 1e-5);
  float tq[M] = {1.0f, -0.5f, 0.25f};
  double fwd = __enzyme_fwddiff((void *)solve3, qf, tq);
  CHECK_CLOSE("float state: forward vs reverse", fwd, g[0] * 1.0 - g[1] * 0.5 + g[2] * 0.25, 1e-4, 1e-5);
  CHECK_CLOSE("float state: primal", solve3(qf), solve3d(q), 1e-5, 1e-6);
  return check_report();
}
