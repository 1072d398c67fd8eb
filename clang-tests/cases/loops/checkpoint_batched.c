// Batched reverse mode (enzyme_width 3) through a checkpointed time loop: one schedule, one set
// of snapshots and recomputations carries three adjoint seeds at once, one per output of the
// final state, with two regions (the state and a second, global-free buffer the steps also
// write). Each lane must equal the gradient of that output alone through the same loop
// differentiated without batching, and central finite differences of the plain program; the
// statistics must count each step differentiated once (not once per lane).
// RUN: clang
#include "check.h"
#include <enzyme/checkpoint.h>

void __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_width;

#define N 4
#define W 3
#define STEPS 9

__attribute__((noinline)) static void step(int64_t i, double *u, double *v) {
  double t[N];
  for (int k = 0; k < N; k++)
    t[k] = u[k] + 0.05 * u[(k + 1) % N] * v[k] + 0.02 * sin(u[k] + 0.1 * (double)i);
  for (int k = 0; k < N; k++) {
    v[k] = 0.9 * v[k] + 0.1 * t[k];
    u[k] = t[k];
  }
}

static void outputs(const double *u, const double *v, double *out) {
  double s = 0, p = 1, c = 0;
  for (int k = 0; k < N; k++) {
    s += u[k] * v[k];
    p *= 1.0 + 0.1 * u[k];
    c += cos(v[k]) * (double)(k + 1);
  }
  out[0] = s;
  out[1] = p;
  out[2] = c;
}

__attribute__((noinline)) void ckpt(double *u, double *v, double *out, EnzymeCkptConfig *c) {
  __enzyme_checkpoint_for((void *)step, 0, STEPS, enzyme_scheme, &EnzymeCkptPeriodic, c,
                          enzyme_checkpoint_region, u, (int64_t)(N * sizeof(double)),
                          enzyme_checkpoint_region, v, (int64_t)(N * sizeof(double)), u, v);
  outputs(u, v, out);
}

static const double x0[2 * N] = {0.5, 0.7, 0.9, 1.1, 0.2, -0.4, 0.6, 0.3};

// Output j of the plain program as a function of x = (u, v), for finite differences.
static int which;
static double plain_out(const double *x, const void *p) {
  (void)p;
  double u[N], v[N], out[W];
  memcpy(u, x, sizeof u);
  memcpy(v, x + N, sizeof v);
  for (int64_t i = 0; i < STEPS; i++)
    step(i, u, v);
  outputs(u, v, out);
  return out[which];
}

int main(void) {
  int64_t snaps[] = {1, 2, 4, STEPS};
  for (unsigned s = 0; s < sizeof snaps / sizeof snaps[0]; s++) {
    // One direction at a time, unbatched.
    double want[W][2 * N];
    for (int j = 0; j < W; j++) {
      EnzymeCkptConfig config = {snaps[s], 0, NULL, 0, NULL};
      double u[N], v[N], out[W], dout[W] = {0};
      memset(want[j], 0, sizeof want[j]);
      memcpy(u, x0, sizeof u);
      memcpy(v, x0 + N, sizeof v);
      dout[j] = 1;
      __enzyme_autodiff((void *)ckpt, enzyme_dup, u, want[j], enzyme_dup, v, want[j] + N,
                        enzyme_dup, out, dout, enzyme_const, &config);
    }
    // All three at once.
    EnzymeCkptStats stats = {0};
    EnzymeCkptConfig config = {snaps[s], 0, NULL, 0, &stats};
    double u[N], v[N], out[W];
    double du[W][N] = {{0}}, dv[W][N] = {{0}}, dout[W][W] = {{0}};
    memcpy(u, x0, sizeof u);
    memcpy(v, x0 + N, sizeof v);
    for (int j = 0; j < W; j++)
      dout[j][j] = 1;
    __enzyme_autodiff((void *)ckpt, enzyme_width, W, enzyme_dup, u, du[0], du[1], du[2],
                      enzyme_dup, v, dv[0], dv[1], dv[2], enzyme_dup, out, dout[0], dout[1],
                      dout[2], enzyme_const, &config);
    for (int j = 0; j < W; j++) {
      double g[2 * N];
      memcpy(g, du[j], sizeof du[j]);
      memcpy(g + N, dv[j], sizeof dv[j]);
      for (int k = 0; k < 2 * N; k++)
        CHECK_CLOSE("lane vs the unbatched gradient", g[k], want[j][k], RTOL_D, ATOL_D);
      which = j;
      CHECK_GRAD_FD("lane vs finite differences of the plain program", plain_out, NULL, x0,
                    2 * N, g, RTOL_FD, ATOL_FD);
    }
    CHECK_TRUE("each step differentiated once for all lanes", stats.taped_steps == STEPS);
  }
  return check_report();
}
