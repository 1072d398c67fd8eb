// Open (a clean refusal, not a wrong derivative; main c7d9b6d): forward mode over split mode —
// __enzyme_fwddiff of a function calling __enzyme_augmentfwd and __enzyme_reverse — when the
// differentiated function calls a helper that stays a call (-ferment-no-inline). An augmented
// function whose tape holds a callee's sub-tape takes its own tape block from a slot parameter
// (in its caller's tape) or, where that is null (the __enzyme_augmentfwd call passes null),
// from malloc: `phi ptr [ %slot, ... ], [ malloc, ... ]`, stored to the result (its
// `.ferment.outret` copy). Forward mode of GRAD2 sees the slot argument as a constant (null)
// and the malloc'd block as duplicated (it holds pointers to active tape data), so it refuses:
// "merges pointers to duplicated data with pointers to constant data (while differentiating
// 'ferment.augmented.f.ferment.outret')". Inlined (no flag), and forward over combined reverse
// mode (GRAD) with the flag, are accepted and right. A fix could give a top-level augmented
// function no slot (it is always null there), or take a null argument's shadow as null.
// Found by the hvp variant of ferment-fuzz (seeds 24600000..24600039: 9 of 40 programs, all
// with split mode under -ferment-no-inline); campaigns count it as a clean refusal of the
// forward-over-reverse checks (the program is then checked without them).
// Oracle: central differences of a hand-written gradient along v.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"
#include <string.h>

extern int enzyme_const, enzyme_dup, enzyme_dupnoneed;
double __enzyme_autodiff(void *, ...);
double __enzyme_reverse(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_fwddiff(void *, ...);

enum { N = 4, NX = N + 1 };
static const double W[N] = {1.0, 0.5, 0.25, -1.0};

static void h0(double *p, int n) {
  for (int j = 0; j < n; j++)
    p[N - 1 - j] = 0.6 * p[N - 1 - j] + 0.3 * tanh(p[1]);
}

void f(double s0, double *p) {
  h0(p, N);
  p[0] += 0.5 * sin(s0);
}

// G = gradient of <W, p after f> with respect to (s0, p before f), by hand.
static void grad_by_hand(const double *x, double *g) {
  double p[N], w[N];
  memcpy(p, x + 1, sizeof p);
  memcpy(w, W, sizeof w);
  // forward sweep of h0, keeping each step's p[1] (read before the write of step j)
  double p1[N];
  for (int j = 0; j < N; j++) {
    p1[j] = p[1];
    p[N - 1 - j] = 0.6 * p[N - 1 - j] + 0.3 * tanh(p[1]);
  }
  g[0] = w[0] * 0.5 * cos(x[0]);
  for (int j = N - 1; j >= 0; j--) {
    double a = w[N - 1 - j];
    w[N - 1 - j] = 0.6 * a;
    double t = tanh(p1[j]);
    w[1] += a * 0.3 * (1 - t * t);
  }
  memcpy(g + 1, w, sizeof w);
}

__attribute__((noinline)) static void GRAD(const double *x, double *g) {
  double p[N], dp[N];
  memcpy(p, x + 1, sizeof p);
  memcpy(dp, W, sizeof dp);
  g[0] = __enzyme_autodiff((void *)f, x[0], enzyme_dup, p, dp);
  memcpy(g + 1, dp, sizeof dp);
}

__attribute__((noinline)) static void GRAD2(const double *x, double *g) {
  double p[N], dp[N];
  memcpy(p, x + 1, sizeof p);
  memcpy(dp, W, sizeof dp);
  void *tape = __enzyme_augmentfwd((void *)f, x[0], enzyme_dup, p, dp);
  g[0] = __enzyme_reverse((void *)f, x[0], enzyme_dup, p, dp, tape);
  memcpy(g + 1, dp, sizeof dp);
}

int main(void) {
  double x[NX] = {0.3, 0.1, 0.2, -0.4, 0.5}, v[NX] = {1, 0.5, -0.5, 0.25, 1};
  double g[NX], hv[NX], g2[NX], hv2[NX], gh[NX], xp[NX], xm[NX], gp[NX], gm[NX], fd[NX];
  const double e = 1e-6;
  grad_by_hand(x, gh);
  for (int i = 0; i < NX; i++) {
    xp[i] = x[i] + e * v[i];
    xm[i] = x[i] - e * v[i];
  }
  grad_by_hand(xp, gp);
  grad_by_hand(xm, gm);
  for (int i = 0; i < NX; i++)
    fd[i] = (gp[i] - gm[i]) / (2 * e);
  __enzyme_fwddiff((void *)GRAD, enzyme_dup, x, v, enzyme_dup, g, hv);
  __enzyme_fwddiff((void *)GRAD2, enzyme_dup, x, v, enzyme_dup, g2, hv2);
  for (int i = 0; i < NX; i++) {
    CHECK_CLOSE("forward-over-reverse: gradient vs by hand", g[i], gh[i], 1e-12, 1e-14);
    CHECK_CLOSE("forward-over-reverse H v vs FD", hv[i], fd[i], RTOL_FD, ATOL_FD);
    CHECK_CLOSE("forward-over-split: gradient vs by hand", g2[i], gh[i], 1e-12, 1e-14);
    CHECK_CLOSE("forward-over-split H v vs FD", hv2[i], fd[i], RTOL_FD, ATOL_FD);
  }
  return check_report();
}
