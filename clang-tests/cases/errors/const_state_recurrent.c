// The shape of Enzyme's lstm benchmark (benchmarks/ReverseMode/lstm): a recurrent model whose
// hidden state lives in a buffer passed with enzyme_const, written with values that depend on
// the active weights and read back at the next step. Without a shadow the derivative through
// the state would be lost (Enzyme warns "Mismatched activity" and returns a gradient that
// disagrees with finite differences); ferment refuses, naming the argument (clang drops
// parameter names, so by position) and the line of the store.
// EXPECT-ERROR: const_state_recurrent.c:20:
// EXPECT-ERROR: argument 3
// EXPECT-ERROR: enzyme_const
#include "check.h"
#include <math.h>
extern int enzyme_const, enzyme_dup, enzyme_dupnoneed;
void __enzyme_autodiff(void *, ...);

__attribute__((noinline)) void model(const double *w, const double *in, double *state, double *loss, int steps,
                                     int n) {
  double total = 0;
  for (int t = 0; t < steps; t++) {
    for (int i = 0; i < n; i++)
      state[i] = tanh(w[i] * state[i] + in[t * n + i]);
    for (int i = 0; i < n; i++) total += state[i];
  }
  *loss = total;
}

int main(void) {
  double w[4] = {0.5, -0.3, 0.8, 0.1}, dw[4] = {0}, in[12] = {0}, state[4] = {0.1, 0.2, 0.3, 0.4};
  double loss = 0, dloss = 1;
  __enzyme_autodiff((void *)model, enzyme_dup, w, dw, enzyme_const, in, enzyme_const, state, enzyme_dupnoneed,
                    &loss, &dloss, enzyme_const, 3, enzyme_const, 4);
  printf("%f\n", dw[0]);
  return 0;
}
