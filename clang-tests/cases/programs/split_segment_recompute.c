// Checkpointing a time loop by segments, as users write it with split mode: the forward run keeps
// only every K-th state; the adjoint sweep walks the segments backwards, recomputes each from its
// checkpoint with __enzyme_augmentfwd (tapes in one caller arena: enzyme_allocated + enzyme_tape,
// size from __enzyme_augmentsize) and reverses its steps with __enzyme_reverse. The step returns
// a struct too large for registers (sret: energy, mass, peak), whose adjoint buffer comes right
// after the function in both calls; its forward pass writes the next state through a pointer
// walking the array and reads neighbours chosen by branches (the shadow pointers rebuilt from the
// reverse's own arguments). The augmented calls get one scratch shadow for every state (checked
// to stay zero: nothing may land there), the reverses the real adjoint buffers, two of them only
// (ping-pong). The last step of each segment is reversed twice on one tape (enzyme_nofree, then
// without), with half the seeds each time. Oracles: central differences of the whole loss, and
// __enzyme_autodiff of the whole loop. Session 38 (issue 14).
// RUN: clang opt
#include "check.h"
#include <stdlib.h>
#include <string.h>

extern int enzyme_tape, enzyme_allocated, enzyme_nofree;
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);
int __enzyme_augmentsize(void *, ...);
void __enzyme_autodiff(void *, ...);

enum { N = 8, STEPS = 10, K = 3 };
typedef struct {
  double energy, mass, peak;
} Stats;
static const Stats W = {0.7, -0.3, 0.2}; // weights of the per-step stats in the loss

// u_t = c (u_{i-1} - 2u_i + u_{i+1}) - a u^2 + s, reflecting ends; p = {c, a, s}
static Stats step(const double *p, const double *u, double *un) {
  Stats st = {0, 0, -1e300};
  double *q = un;
  for (int i = 0; i < N; i++, q++) {
    const double *l = i > 0 ? &u[i - 1] : &u[i + 1];
    const double *r = i < N - 1 ? &u[i + 1] : &u[i - 1];
    double v = u[i] + 0.1 * (p[0] * (*l - 2.0 * u[i] + *r) - p[1] * u[i] * u[i] + p[2]);
    *q = v;
    st.energy += v * v;
    st.mass += v;
    if (v > st.peak)
      st.peak = v;
  }
  return st;
}
static double stats_loss(Stats st) { return W.energy * st.energy + W.mass * st.mass + W.peak * st.peak; }
static double final_loss(const double *u) {
  double j = 0;
  for (int i = 0; i < N; i++)
    j += (u[i] - 0.4) * (u[i] - 0.4) * (1.0 + 0.2 * i);
  return j;
}
static double whole(const double *p, const double *u0) {
  double a[N], b[N], j = 0;
  memcpy(a, u0, sizeof a);
  for (int s = 0; s < STEPS; s++) {
    j += stats_loss(step(p, a, b));
    memcpy(a, b, sizeof a);
  }
  return j + final_loss(a);
}

int main(void) {
  double p[3] = {0.8, 0.3, 0.05};
  double u0[N] = {0.2, 0.5, 0.9, 0.4, 0.1, 0.6, 0.3, 0.7};

  // forward: checkpoints only
  double ckpt[(STEPS + K - 1) / K][N], cur[N], nxt[N];
  memcpy(cur, u0, sizeof cur);
  for (int s = 0; s < STEPS; s++) {
    if (s % K == 0)
      memcpy(ckpt[s / K], cur, sizeof cur);
    step(p, cur, nxt);
    memcpy(cur, nxt, sizeof cur);
  }

  // adjoint of the final state
  double lam[N], lam_prev[N], dp[3] = {0};
  for (int i = 0; i < N; i++)
    lam[i] = 2.0 * (cur[i] - 0.4) * (1.0 + 0.2 * i);

  int size = __enzyme_augmentsize((void *)step, enzyme_dup, enzyme_dup, enzyme_dup);
  size_t stride = size > 0 ? (size_t)(size + 15) / 16 * 16 : 16;
  char *arena = aligned_alloc(16, stride * K);
  double seg[K + 1][N];
  double scratch_u[N] = {0}, scratch_un[N] = {0}, scratch_p[3] = {0};
  for (int c = (STEPS - 1) / K; c >= 0; c--) {
    int s0 = c * K, len = STEPS - s0 < K ? STEPS - s0 : K;
    memcpy(seg[0], ckpt[c], sizeof seg[0]);
    for (int k = 0; k < len; k++) {
      Stats d_stats = {0};
      __enzyme_augmentfwd((void *)step, &d_stats, enzyme_allocated, size, enzyme_tape,
                          arena + k * stride, enzyme_dup, p, scratch_p, enzyme_dup, seg[k],
                          scratch_u, enzyme_dup, seg[k + 1], scratch_un);
    }
    for (int k = len - 1; k >= 0; k--) {
      memset(lam_prev, 0, sizeof lam_prev);
      if (k == len - 1) {
        // twice on one tape, half the seeds each time (the state adjoint split too)
        Stats half = {0.5 * W.energy, 0.5 * W.mass, 0.5 * W.peak};
        double lam_half[N];
        for (int i = 0; i < N; i++)
          lam_half[i] = 0.5 * lam[i];
        memcpy(lam, lam_half, sizeof lam);
        __enzyme_reverse((void *)step, &half, enzyme_allocated, size, enzyme_tape,
                         arena + k * stride, enzyme_dup, p, dp, enzyme_dup, seg[k], lam_prev,
                         enzyme_dup, seg[k + 1], lam, enzyme_nofree);
        Stats half2 = {0.5 * W.energy, 0.5 * W.mass, 0.5 * W.peak};
        memcpy(lam, lam_half, sizeof lam);
        __enzyme_reverse((void *)step, &half2, enzyme_allocated, size, enzyme_tape,
                         arena + k * stride, enzyme_dup, p, dp, enzyme_dup, seg[k], lam_prev,
                         enzyme_dup, seg[k + 1], lam);
      } else {
        Stats seed = W;
        __enzyme_reverse((void *)step, &seed, enzyme_allocated, size, enzyme_tape,
                         arena + k * stride, enzyme_dup, p, dp, enzyme_dup, seg[k], lam_prev,
                         enzyme_dup, seg[k + 1], lam);
      }
      memcpy(lam, lam_prev, sizeof lam);
    }
  }
  free(arena);

  double zero[N] = {0}, zero3[3] = {0};
  CHECK_ARRAY_CLOSE("scratch shadows untouched (u)", scratch_u, zero, N, 0, 0);
  CHECK_ARRAY_CLOSE("scratch shadows untouched (un)", scratch_un, zero, N, 0, 0);
  CHECK_ARRAY_CLOSE("scratch shadows untouched (p)", scratch_p, zero3, 3, 0, 0);

  double dp_ref[3] = {0}, du0_ref[N] = {0};
  __enzyme_autodiff((void *)whole, enzyme_dup, p, dp_ref, enzyme_dup, u0, du0_ref);
  CHECK_ARRAY_CLOSE("dp vs whole loop", dp, dp_ref, 3, 1e-11, 1e-13);
  CHECK_ARRAY_CLOSE("du0 vs whole loop", lam, du0_ref, N, 1e-11, 1e-13);
  CHECK_ARRAY_FD("dp vs central differences", p, 3, dp, 1e-6, whole(p, u0), RTOL_FD, ATOL_FD);
  CHECK_ARRAY_FD("du0 vs central differences", u0, N, lam, 1e-6, whole(p, u0), RTOL_FD, ATOL_FD);
  return check_report();
}
