// ForwardMode/lstm: dlstm_objective (__enzyme_fwddiff; main_params, extra_params duplicated,
// state enzyme_const) at l=2, c=1024, b=14, along one direction; every call starts from the
// same initial state (lstm_objective overwrites it).
#include "lstm.cpp"
#include "bench_common.h"
static const int L = 2, C = 1024, B = 14, NM = 8 * L * B, NE = 3 * B;
static double *seq, *state0, *state, *dir;
extern "C" double *bench_init(long *n) {
  *n = NM + NE;
  seq = bench_rvec(C * B, -1, 1);
  state0 = bench_rvec(2 * L * B, -0.5, 0.5);
  state = (double *)malloc(2 * L * B * sizeof(double));
  dir = bench_rvec(*n, -1, 1);
  return bench_rvec(*n, -0.5, 0.5);
}
extern "C" double bench_primal(const double *p) {
  double loss = 0;
  memcpy(state, state0, 2 * L * B * sizeof(double));
  lstm_objective(L, C, B, p, p + NM, state, seq, &loss);
  return loss;
}
extern "C" void bench_grad_hand(double *v) { memcpy(v, dir, (NM + NE) * sizeof(double)); }
extern "C" void bench_grad_ferment(const double *p, double *out) {
  double loss = 0, dloss = 0;
  memcpy(state, state0, 2 * L * B * sizeof(double));
  dlstm_objective(L, C, B, p, dir, p + NM, dir + NM, state, seq, &loss, &dloss);
  out[0] = dloss;
}
