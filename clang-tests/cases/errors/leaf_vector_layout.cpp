// Enzyme's sumsquare.cpp (ForwardModeVector/VectorizedAtLeafNodes) under its experimental flag
// -enzyme-vectorize-at-leaf-nodes: batched forward mode with ONE shadow buffer per argument holding
// the N lanes interleaved (lane j of element k at [k * N + j]). ferment accepts the flag but not
// the layout: a compile error naming it, at the call's line, with what to pass instead.
// CFLAGS: -mllvm -enzyme-vectorize-at-leaf-nodes
// EXPECT-ERROR: leaf_vector_layout.cpp:23
// EXPECT-ERROR: -enzyme-vectorize-at-leaf-nodes
// EXPECT-ERROR: enzyme_dupv
#include <stddef.h>
#include <stdio.h>
#include <vector>
extern int enzyme_width, enzyme_dupnoneed, enzyme_const;
extern void __enzyme_fwddiff(void (*)(double const *, double *, size_t), int, size_t, int, double const *,
                             double *, int, double *, double *, int, size_t);
static void square_sum(double const *in, double *out, size_t size) {
  double r = 0.0;
  for (size_t i = 0; i < size; ++i) r += in[i] * in[i];
  *out = r;
}
int main() {
  double in[8] = {0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}, out = 0;
  std::vector<double> din(4 * 8, 0.0), dout(4, 0.0);
  __enzyme_fwddiff(square_sum, enzyme_width, 4, enzyme_dupnoneed, in, din.data(), enzyme_dupnoneed, &out, dout.data(), enzyme_const, 8);
  printf("%g\n", dout[0]);
}
