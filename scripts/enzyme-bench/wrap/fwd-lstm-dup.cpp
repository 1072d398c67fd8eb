// ForwardMode/lstm with `state` duplicated (see rev-lstm-dup.cpp): dlstm_objective's call
// with enzyme_dup, state, dstate (zeroed tangent) in place of enzyme_const, state.
// The program's own dlstm_objective (state enzyme_const, refused by ferment) is compiled as a
// call of a no-op (a name ferment does not take for an AD call, so also at -O0), so that
// only this file's call is differentiated.
#define __enzyme_fwddiff program_fwddiff_disabled
#include "lstm.cpp"
#undef __enzyme_fwddiff
extern "C" void program_fwddiff_disabled(...) noexcept {}
void __enzyme_fwddiff(...) noexcept;
#include "bench_common.h"
static const int L = 2, C = 1024, B = 14, NM = 8 * L * B, NE = 3 * B;
static double *seq, *state0, *state, *dstate, *dir;
extern "C" double *bench_init(long *n) {
  *n = NM + NE;
  seq = bench_rvec(C * B, -1, 1);
  state0 = bench_rvec(2 * L * B, -0.5, 0.5);
  state = (double *)malloc(2 * L * B * sizeof(double));
  dstate = (double *)malloc(2 * L * B * sizeof(double));
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
  memset(dstate, 0, 2 * L * B * sizeof(double));
  __enzyme_fwddiff(lstm_objective, enzyme_const, L, enzyme_const, C, enzyme_const, B, enzyme_dup, p, dir,
                   enzyme_dup, p + NM, dir + NM, enzyme_dup, state, dstate, enzyme_const, seq, enzyme_dupnoneed,
                   &loss, &dloss);
  out[0] = dloss;
}
