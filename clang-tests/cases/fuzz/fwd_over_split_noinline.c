// Forward mode over split mode (__enzyme_fwddiff of a function calling __enzyme_augmentfwd and
// __enzyme_reverse) with helpers that stay calls (-ferment-no-inline): h0 once (its frame in
// f's frame) and h1 in a loop (its frames in f's loop tape rows). f's augmented function takes
// its frame from its last parameter, or from malloc where that is null (as at the
// __enzyme_augmentfwd call): `phi ptr [ %storage, ... ], [ malloc, ... ]`. The frame holds taped
// values, which have tangents in forward mode, so it is shadowed; the null storage argument was
// constant (no shadow), and forward mode refused the merge: "merges pointers to duplicated data
// with pointers to constant data (while differentiating 'ferment.augmented.f.ferment.outret')"
// on main 6a8397e at -O0..-O3 (fuzz/found/fwd_over_split_subtape.c, ~14% of the hvp variant's
// programs). Now a null frame storage argument is duplicated with the null shadow.
// Oracles: the gradient by hand, central differences of the hand gradient along v and u, the
// Hessian's symmetry, and forward over split vs forward over combined reverse.
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

static double h1(const double *p, int k) { return p[k] * p[k + 1]; }

void f(double s0, double *p) {
  h0(p, N);
  double acc = 0;
  for (int k = 0; k < N - 1; k++)
    acc += h1(p, k);
  p[0] += 0.5 * sin(s0) + 0.1 * acc;
}

// G = gradient of <W, p after f> with respect to (s0, p before f), by hand.
static void grad_by_hand(const double *x, double *g) {
  double p[N], w[N];
  memcpy(p, x + 1, sizeof p);
  // forward sweep of h0, keeping each step's p[1] (read before the write of step j)
  double p1[N];
  for (int j = 0; j < N; j++) {
    p1[j] = p[1];
    p[N - 1 - j] = 0.6 * p[N - 1 - j] + 0.3 * tanh(p[1]);
  }
  // p is h0's result q; <W, f(q)> = <W, q> + W0 (0.5 sin s0 + 0.1 sum q_k q_k+1)
  memcpy(w, W, sizeof w);
  for (int k = 0; k < N - 1; k++) {
    w[k] += 0.1 * W[0] * p[k + 1];
    w[k + 1] += 0.1 * W[0] * p[k];
  }
  g[0] = W[0] * 0.5 * cos(x[0]);
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

// central differences of the hand gradient along d
static void fd_of_grad(const double *x, const double *d, double *fd) {
  const double e = 1e-6;
  double xp[NX], xm[NX], gp[NX], gm[NX];
  for (int i = 0; i < NX; i++) {
    xp[i] = x[i] + e * d[i];
    xm[i] = x[i] - e * d[i];
  }
  grad_by_hand(xp, gp);
  grad_by_hand(xm, gm);
  for (int i = 0; i < NX; i++)
    fd[i] = (gp[i] - gm[i]) / (2 * e);
}

int main(void) {
  double x[NX] = {0.3, 0.1, 0.2, -0.4, 0.5};
  double dirs[2][NX] = {{1, 0.5, -0.5, 0.25, 1}, {-0.5, 1, 0.75, -1, 0.25}};
  double gh[NX], hv[2][NX], hv2[2][NX];
  grad_by_hand(x, gh);
  for (int d = 0; d < 2; d++) {
    double g[NX], g2[NX], fd[NX];
    fd_of_grad(x, dirs[d], fd);
    __enzyme_fwddiff((void *)GRAD, enzyme_dup, x, dirs[d], enzyme_dup, g, hv[d]);
    __enzyme_fwddiff((void *)GRAD2, enzyme_dup, x, dirs[d], enzyme_dup, g2, hv2[d]);
    for (int i = 0; i < NX; i++) {
      CHECK_CLOSE("forward-over-reverse: gradient vs by hand", g[i], gh[i], 1e-12, 1e-14);
      CHECK_CLOSE("forward-over-reverse H d vs FD", hv[d][i], fd[i], RTOL_FD, ATOL_FD);
      CHECK_CLOSE("forward-over-split: gradient vs by hand", g2[i], gh[i], 1e-12, 1e-14);
      CHECK_CLOSE("forward-over-split H d vs FD", hv2[d][i], fd[i], RTOL_FD, ATOL_FD);
      CHECK_CLOSE("forward-over-split vs forward-over-reverse", hv2[d][i], hv[d][i], 1e-12,
                  1e-14);
    }
  }
  double s01 = 0, s10 = 0;
  for (int i = 0; i < NX; i++) {
    s01 += dirs[0][i] * hv2[1][i];
    s10 += dirs[1][i] * hv2[0][i];
  }
  CHECK_CLOSE("forward-over-split: Hessian symmetry", s01, s10, 1e-12, 1e-14);
  return check_report();
}
