// Outputs written through a duplicated pointer whose shadow is the seed. After the reverse call
// the seed of every fully overwritten output is consumed (zero), entries the function never writes
// keep their seed, and input shadows pre-filled with nonzero values accumulate with +=.
// Also an output that is read back after being written (prefix sums) and an in-place update.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

#define N 6

// out[i] = x_i x_{i+1 mod n} + exp(x_i), for i < n; out[n..] untouched
void pairs(const double *x, double *out, int n) {
  for (int i = 0; i < n; i++)
    out[i] = x[i] * x[(i + 1) % n] + exp(x[i]);
}

// prefix sums of squares written into out, then out[i] *= x_i (reads back written outputs)
void prefix(const double *x, double *out, int n) {
  out[0] = x[0] * x[0];
  for (int i = 1; i < n; i++)
    out[i] = out[i - 1] + x[i] * x[i];
  for (int i = 0; i < n; i++)
    out[i] *= x[i];
}

// in place: x_i <- tanh(x_i) * 2 (the shadow is replaced by the chain rule, not accumulated)
void squash(double *x, int n) {
  for (int i = 0; i < n; i++)
    x[i] = tanh(x[i]) * 2.0;
}

int main(void) {
  double x[N], dx[N], out[N + 2], dout[N + 2], seed[N + 2];
  unsigned s = 12;
  for (int i = 0; i < N; i++) {
    x[i] = prand(&s);
    dx[i] = 3.0 - i; // nonzero: gradients are added
  }
  for (int i = 0; i < N + 2; i++)
    seed[i] = dout[i] = prand(&s) + 2.0;
  char what[128];
  __enzyme_autodiff((void *)pairs, x, dx, out, dout, N);
  for (int i = 0; i < N; i++) {
    int prev = (i + N - 1) % N, next = (i + 1) % N;
    double want = (3.0 - i) + seed[i] * (x[next] + exp(x[i])) + seed[prev] * x[prev];
    snprintf(what, sizeof what, "pairs: dx[%d] = initial + J^T seed", i);
    CHECK_CLOSE(what, dx[i], want, RTOL_D, ATOL_D);
  }
  for (int i = 0; i < N + 2; i++) {
    snprintf(what, sizeof what, "pairs: dout[%d] after reverse", i);
    CHECK_CLOSE(what, dout[i], i < N ? 0.0 : seed[i], 0, 0);
  }

  // prefix: out_i = x_i * P_i, P_i = sum_{k<=i} x_k^2 ; d/dx_j sum_i s_i out_i
  double dx2[N] = {0};
  for (int i = 0; i < N; i++)
    dout[i] = seed[i];
  __enzyme_autodiff((void *)prefix, x, dx2, out, dout, N);
  for (int j = 0; j < N; j++) {
    double P = 0.0;
    for (int k = 0; k <= j; k++)
      P += x[k] * x[k];
    double want = seed[j] * P;
    for (int i = j; i < N; i++)
      want += seed[i] * x[i] * 2.0 * x[j];
    snprintf(what, sizeof what, "prefix: dx[%d]", j);
    CHECK_CLOSE(what, dx2[j], want, RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "prefix: dout[%d] consumed", j);
    CHECK_CLOSE(what, dout[j], 0.0, 0, 0);
  }

  // in place: the shadow holds the seed on entry and the input gradient on exit
  double y[N], dy[N];
  for (int i = 0; i < N; i++) {
    y[i] = x[i];
    dy[i] = seed[i];
  }
  __enzyme_autodiff((void *)squash, y, dy, N);
  for (int i = 0; i < N; i++) {
    double t = tanh(x[i]);
    snprintf(what, sizeof what, "squash: dy[%d] = seed * 2 (1 - tanh^2)", i);
    CHECK_CLOSE(what, dy[i], seed[i] * 2.0 * (1.0 - t * t), RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "squash: primal y[%d] updated", i);
    CHECK_CLOSE(what, y[i], 2.0 * t, RTOL_D, ATOL_D);
  }

  // forward versions
  double tx[N], tout[N + 2];
  for (int i = 0; i < N; i++)
    tx[i] = prand(&s);
  for (int i = 0; i < N + 2; i++)
    tout[i] = -7.0;
  __enzyme_fwddiff((void *)pairs, x, tx, out, tout, N);
  for (int i = 0; i < N; i++) {
    int next = (i + 1) % N;
    double want = tx[i] * (x[next] + exp(x[i])) + x[i] * tx[next];
    snprintf(what, sizeof what, "pairs forward tout[%d]", i);
    CHECK_CLOSE(what, tout[i], want, RTOL_D, ATOL_D);
  }
  CHECK_CLOSE("pairs forward leaves unwritten tangent", tout[N], -7.0, 0, 0);
  for (int i = 0; i < N; i++)
    y[i] = x[i];
  double ty[N];
  memcpy(ty, tx, sizeof ty);
  __enzyme_fwddiff((void *)squash, y, ty, N);
  for (int i = 0; i < N; i++) {
    double t = tanh(x[i]);
    snprintf(what, sizeof what, "squash forward ty[%d]", i);
    CHECK_CLOSE(what, ty[i], tx[i] * 2.0 * (1.0 - t * t), RTOL_D, ATOL_D);
  }
  return check_report();
}
