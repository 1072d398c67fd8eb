// Split mode as an optimizer library uses it: a C++ class with a member function called through
// a free-function trampoline; augmented forward once, reverse with several seeds using
// enzyme_nofree, tape returned and tape in caller memory (enzyme_allocated), const members.
// Written as a new user's Enzyme program (session 36). Oracle: central differences (and forward vs reverse, analytic where noted).
#include "check.h"
#include <cstdlib>
#include <vector>
extern "C" {
extern int enzyme_dup, enzyme_const, enzyme_out, enzyme_tape, enzyme_allocated, enzyme_nofree, enzyme_dupnoneed;
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);
int __enzyme_augmentsize(void *, ...);
}
struct Layer {
  int n;
  std::vector<double> bias;
  double act(double z) const { return z > 0 ? z : 0.1 * z; }
  void apply(const double *w, const double *in, double *out) const {
    for (int i = 0; i < n; i++) {
      double s = bias[i];
      for (int j = 0; j < n; j++) s += w[i * n + j] * in[j];
      out[i] = act(s) + std::tanh(s);
    }
  }
};
static void run(const Layer *L, const double *w, const double *in, double *out) { L->apply(w, in, out); }

int main() {
  const int n = 3;
  Layer L{n, {0.1, -0.2, 0.05}};
  double w[n * n] = {0.5, -0.3, 0.8, 0.1, 0.9, -0.4, -0.7, 0.2, 0.3}, in[n] = {1.0, -0.5, 0.25};
  double out[n], dout[n];
  // Jacobian rows by split mode: one forward, n reverses.
  double dw[n][n * n] = {}, din[n][n] = {};
  void *tape = __enzyme_augmentfwd((void *)run, enzyme_const, &L, enzyme_dup, w, dw[0], enzyme_dup, in, din[0],
                                   enzyme_dupnoneed, out, dout);
  for (int r = 0; r < n; r++) {
    for (int i = 0; i < n; i++) dout[i] = (i == r);
    if (r + 1 < n)
      __enzyme_reverse((void *)run, enzyme_nofree, enzyme_const, &L, enzyme_dup, w, dw[r], enzyme_dup, in, din[r],
                       enzyme_dupnoneed, out, dout, tape);
    else
      __enzyme_reverse((void *)run, enzyme_const, &L, enzyme_dup, w, dw[r], enzyme_dup, in, din[r], enzyme_dupnoneed,
                       out, dout, tape);
  }
  for (int r = 0; r < n; r++) {
    CHECK_ARRAY_FD("d out_r / d in", in, n, din[r], 1e-6, (run(&L, w, in, out), out[r]), RTOL_FD, ATOL_FD);
    CHECK_ARRAY_FD("d out_r / d w", w, n * n, dw[r], 1e-6, (run(&L, w, in, out), out[r]), RTOL_FD, ATOL_FD);
  }
  // tape in caller memory
  int size = __enzyme_augmentsize((void *)run, enzyme_const, enzyme_dup, enzyme_dup, enzyme_dupnoneed);
  void *mem = std::malloc(size > 0 ? size : 1);
  double dw2[n * n] = {}, din2[n] = {};
  __enzyme_augmentfwd((void *)run, enzyme_allocated, size, enzyme_tape, mem, enzyme_const, &L, enzyme_dup, w, dw2,
                      enzyme_dup, in, din2, enzyme_dupnoneed, out, dout);
  for (int i = 0; i < n; i++) dout[i] = 1.0;
  __enzyme_reverse((void *)run, enzyme_allocated, size, enzyme_tape, mem, enzyme_const, &L, enzyme_dup, w, dw2,
                   enzyme_dup, in, din2, enzyme_dupnoneed, out, dout);
  for (int i = 0; i < n; i++) CHECK_CLOSE("sum of rows", din2[i], din[0][i] + din[1][i] + din[2][i], 1e-12, 1e-14);
  for (int i = 0; i < n * n; i++) CHECK_CLOSE("sum of rows w", dw2[i], dw[0][i] + dw[1][i] + dw[2][i], 1e-12, 1e-14);
  std::free(mem);
  return check_report();
}
