// ReverseMode/lstm with `state` duplicated (enzyme_dup with a zeroed shadow) instead of the
// program's enzyme_const, which loses the derivative through the recurrent state (see
// README.md): the program's lstm_objective, differentiated by a call of dlstm_objective's
// shape with that one marker changed, so the two tools can be compared on this program.
// The program's own dlstm_objective (state enzyme_const, refused by ferment) is compiled as a
// call of a no-op (a name ferment does not take for an AD call, so also at -O0), so that
// only this file's call is differentiated.
#define __enzyme_autodiff program_autodiff_disabled
#include "lstm.cpp"
#undef __enzyme_autodiff
extern "C" void program_autodiff_disabled(...) noexcept {}
void __enzyme_autodiff(...) noexcept;
#include "bench_common.h"
static const int L = 2, C = 1024, B = 14, NM = 8 * L * B, NE = 3 * B;
static double *seq, *state0, *state, *dstate;
extern "C" double *bench_init(long *n) {
  *n = NM + NE;
  seq = bench_rvec(C * B, -1, 1);
  state0 = bench_rvec(2 * L * B, -0.5, 0.5);
  state = (double *)malloc(2 * L * B * sizeof(double));
  dstate = (double *)malloc(2 * L * B * sizeof(double));
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
  memset(dstate, 0, 2 * L * B * sizeof(double));
  memset(g, 0, (NM + NE) * sizeof(double));
  __enzyme_autodiff(lstm_objective, enzyme_const, L, enzyme_const, C, enzyme_const, B, enzyme_dup, p, g,
                    enzyme_dup, p + NM, g + NM, enzyme_dup, state, dstate, enzyme_const, seq, enzyme_dupnoneed,
                    &loss, &dloss);
}
extern "C" void bench_grad_hand(double *) {}
