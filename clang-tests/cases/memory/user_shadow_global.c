// User-provided shadow globals (issue 5, INTERFACE.md): `!enzyme_shadow !{ptr @d}` on a global
// makes `d` its shadow. The global is then active from the start (also when the function only
// reads it), and `d` behaves like the shadow of a duplicated argument: reverse mode ADDS the
// adjoint of the global's value on entry into it (starting from the adjoint of its value on exit,
// which the caller seeds), forward mode reads the global's tangent from it and leaves there the
// tangent of its value on exit. C cannot spell global metadata, so the harness attaches it.
// Checked against the analytic derivatives and central finite differences of a pure wrapper.
// RUN: opt
// IR-ATTACH: @param !enzyme_shadow !{ptr @d_param}
// IR-ATTACH: @state !enzyme_shadow !{ptr @d_state}
#include "check.h"
#include <math.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double param[3] = {0.5, -1.25, 2.0}; /* read only inside f */
double d_param[3];
double state = 0.75; /* read and overwritten inside f */
double d_state;

__attribute__((noinline)) double f(double x) {
  double y = param[0] * x * x + param[1] * sin(x) + param[2] * state;
  state = state * x;
  return y + state;
}

/* L = f(x) + seed * state_after, as a pure function of (x, p, s0) */
static double L(double x, const double *p, double s0, double seed) {
  double keep[3] = {param[0], param[1], param[2]};
  double keep_s = state;
  param[0] = p[0], param[1] = p[1], param[2] = p[2];
  state = s0;
  double v = f(x);
  v += seed * state;
  param[0] = keep[0], param[1] = keep[1], param[2] = keep[2];
  state = keep_s;
  return v;
}

int main(void) {
  const double p[3] = {0.5, -1.25, 2.0};
  const double xs[] = {-1.1, 0.3, 1.7};
  const double seed = 0.4;
  const double h = 1e-6;
  for (int k = 0; k < 3; k++) {
    double x = xs[k], s0 = 0.75;
    /* analytic partials of L = f + seed * s0 * x */
    double want_dx = 2 * p[0] * x + p[1] * cos(x) + s0 + seed * s0;
    double want_dp[3] = {x * x, sin(x), s0};
    double want_ds0 = p[2] + x + seed * x;

    /* reverse: d_param accumulates (starts nonzero), d_state carries the seed in, dL/ds0 out */
    param[0] = p[0], param[1] = p[1], param[2] = p[2];
    state = s0;
    d_param[0] = 1.0, d_param[1] = 2.0, d_param[2] = 3.0;
    d_state = seed;
    double dx = __enzyme_autodiff((void *)f, x);
    CHECK_CLOSE_AT("reverse dL/dx", x, dx, want_dx, RTOL_D, 1e-12);
    for (int i = 0; i < 3; i++) {
      CHECK_CLOSE_AT("reverse d_param accumulated", x, d_param[i], (i + 1.0) + want_dp[i], RTOL_D, 1e-12);
      double pp[3] = {p[0], p[1], p[2]}, pm[3] = {p[0], p[1], p[2]};
      pp[i] += h, pm[i] -= h;
      double fd = (L(x, pp, s0, seed) - L(x, pm, s0, seed)) / (2 * h);
      CHECK_CLOSE_AT("reverse d_param vs FD", x, d_param[i] - (i + 1.0), fd, RTOL_FD, 1e-7);
    }
    CHECK_CLOSE_AT("reverse d_state", x, d_state, want_ds0, RTOL_D, 1e-12);
    double fd_s = (L(x, p, s0 + h, seed) - L(x, p, s0 - h, seed)) / (2 * h);
    CHECK_CLOSE_AT("reverse d_state vs FD", x, d_state, fd_s, RTOL_FD, 1e-7);
    double fd_x = (L(x + h, p, s0, seed) - L(x - h, p, s0, seed)) / (2 * h);
    CHECK_CLOSE_AT("reverse dL/dx vs FD", x, dx, fd_x, RTOL_FD, 1e-7);
    CHECK_CLOSE_AT("primal state updated", x, state, s0 * x, RTOL_D, 0);

    /* forward: tangents of param and state in, tangent of f and of state on exit out */
    const double tp[3] = {0.3, -0.2, 0.9}, ts = -0.6, tx = 1.3;
    param[0] = p[0], param[1] = p[1], param[2] = p[2];
    state = s0;
    d_param[0] = tp[0], d_param[1] = tp[1], d_param[2] = tp[2];
    d_state = ts;
    double df = __enzyme_fwddiff((void *)f, x, tx);
    double want_df = (2 * p[0] * x + p[1] * cos(x) + s0) * tx + x * x * tp[0] + sin(x) * tp[1] +
                     s0 * tp[2] + (p[2] + x) * ts;
    CHECK_CLOSE_AT("forward df", x, df, want_df, RTOL_D, 1e-12);
    CHECK_CLOSE_AT("forward tangent of state on exit", x, d_state, s0 * tx + x * ts, RTOL_D, 1e-12);
    for (int i = 0; i < 3; i++)
      CHECK_CLOSE_AT("forward leaves d_param", x, d_param[i], tp[i], 0, 0);
  }
  return check_report();
}
