// ReverseMode/lstm: dlstm_objective (main_params, extra_params active) at l=2, c=1024, b=14
// (ADBench's lstm_l2_c1024). lstm_objective overwrites `state`, so every call starts from
// the same initial state.
#include "lstm.cpp"
#include "bench_common.h"
static const int L = 2, C = 1024, B = 14, NM = 8 * L * B, NE = 3 * B;
static double *seq, *state0, *state;
extern "C" double *bench_init(long *n) {
  *n = NM + NE;
  seq = bench_rvec(C * B, -1, 1);
  state0 = bench_rvec(2 * L * B, -0.5, 0.5);
  state = (double *)malloc(2 * L * B * sizeof(double));
  return bench_rvec(*n, -0.5, 0.5);
}
extern "C" double bench_primal(const double *p) {
  double loss = 0;
  memcpy(state, state0, 2 * L * B * sizeof(double));
  lstm_objective(L, C, B, p, p + NM, state, seq, &loss);
  return loss;
}
extern "C" void bench_grad_ferment(const double *p, double *g) {
  double loss = 0, dloss = 1;
  memcpy(state, state0, 2 * L * B * sizeof(double));
  memset(g, 0, (NM + NE) * sizeof(double));
  dlstm_objective(L, C, B, p, g, p + NM, g + NM, state, seq, &loss, &dloss);
}
extern "C" void bench_grad_hand(double *) {}
