// __enzyme_fwdsplit: forward mode after an augmented forward pass, the tape last (or in
// enzyme_tape memory, or null). Its tangents are checked against central finite differences and
// against the gradient of the same tape's reverse sweep (<grad, v> == tangent); the primal outputs
// the augmented pass wrote are unchanged, and the tape stays usable by __enzyme_reverse.
// RUN: clang opt
#include "check.h"
#include <stdlib.h>
extern int enzyme_allocated, enzyme_tape, enzyme_nofree, enzyme_dup_return;
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_augmentfwd_v(void *, ...) __asm__("__enzyme_augmentfwd");
double __enzyme_fwdsplit(void *, ...);
void __enzyme_fwdsplit_v(void *, ...) __asm__("__enzyme_fwdsplit");
typedef struct { double primal, tangent; } PT;
PT __enzyme_fwdsplit_pt(void *, ...) __asm__("__enzyme_fwdsplit");
void __enzyme_reverse(void *, ...);
int __enzyme_augmentsize(void *, ...);

// A weighted energy over n points with a runtime trip count; also writes each term to out[],
// which it never reads.
static double energy(const double *x, const double *w, double *out, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) {
    double t = w[i] * sin(x[i]) * x[(i + 1) % n] + exp(-x[i] * x[i]);
    out[i] = t;
    s += t * t;
  }
  return sqrt(s + 1.0);
}
enum { N = 7 };
static const double W[N] = {0.5, 1.5, -0.7, 2.0, 0.3, -1.1, 0.9};
static double energy_v(const double *x) {
  double out[N];
  return energy(x, W, out, N);
}
static double out_k(const double *x, int k) {
  double out[N];
  energy(x, W, out, N);
  return out[k];
}
static int which_out;
static double out_v(const double *x) { return out_k(x, which_out); }

static double scalar(double a, double b) { return a * a * b + cos(a * b); }

int main(void) {
  double x[N] = {0.3, -0.8, 1.2, 0.5, -1.4, 0.9, 0.1}, v[N] = {1, -0.5, 0.25, 2, -1, 0.7, 0.4};
  double out[N], dout[N], dx[N];
  char what[128];
  // Tape returned by the augmented pass, kept by fwdsplit (enzyme_nofree) and consumed by the
  // reverse sweep afterwards.
  for (int i = 0; i < N; i++) dx[i] = 0;
  void *tape = __enzyme_augmentfwd((void *)energy, enzyme_dup, x, dx, enzyme_const, W,
                                   enzyme_dup, out, dout, enzyme_const, N);
  double kept[N];
  for (int i = 0; i < N; i++) kept[i] = out[i];
  for (int i = 0; i < N; i++) dout[i] = 0;
  double t = __enzyme_fwdsplit((void *)energy, enzyme_nofree, enzyme_dup, x, v, enzyme_const, W,
                               enzyme_dup, out, dout, enzyme_const, N, tape);
  double fd = 0;
  for (int k = 0; k < N; k++) fd += v[k] * fdv(energy_v, x, N, k);
  CHECK_CLOSE("fwdsplit tangent of the return vs finite differences", t, fd, RTOL_FD, ATOL_FD);
  for (int i = 0; i < N; i++) {
    which_out = i;
    double fdo = 0;
    for (int k = 0; k < N; k++) fdo += v[k] * fdv(out_v, x, N, k);
    snprintf(what, sizeof what, "fwdsplit tangent of out[%d] vs finite differences", i);
    CHECK_CLOSE(what, dout[i], fdo, RTOL_FD, ATOL_FD);
    snprintf(what, sizeof what, "primal out[%d] after fwdsplit", i);
    CHECK_CLOSE(what, out[i], kept[i], 0, 0);
  }
  // The same tape's reverse sweep: the gradient, whose dot product with v is the tangent.
  for (int i = 0; i < N; i++) dout[i] = 0;
  __enzyme_reverse((void *)energy, enzyme_dup, x, dx, enzyme_const, W, enzyme_dup, out, dout,
                   enzyme_const, N, 1.0, tape);
  double dot = 0;
  for (int k = 0; k < N; k++) dot += dx[k] * v[k];
  CHECK_CLOSE("fwdsplit tangent vs the reverse gradient from the same tape", t, dot, RTOL_D, ATOL_D);

  // Tape in caller memory, markers first; the primal with the tangent (enzyme_dup_return).
  int size = __enzyme_augmentsize((void *)energy, enzyme_dup, enzyme_const, enzyme_dup, enzyme_const);
  void *mem = malloc(size);
  double x2[N];
  for (int i = 0; i < N; i++) x2[i] = 0.5 * x[i] - 0.2;
  __enzyme_augmentfwd_v((void *)energy, enzyme_allocated, size, enzyme_tape, mem, enzyme_dup, x2,
                        dx, enzyme_const, W, enzyme_dup, out, dout, enzyme_const, N);
  // (enzyme_nofree: fwdsplit would otherwise consume the tape, which __enzyme_reverse uses below)
  PT pt = __enzyme_fwdsplit_pt((void *)energy, enzyme_dup_return, enzyme_nofree, enzyme_allocated,
                               size, enzyme_tape, mem, enzyme_dup, x2, v, enzyme_const, W,
                               enzyme_dup, out, dout, enzyme_const, N);
  fd = 0;
  for (int k = 0; k < N; k++) fd += v[k] * fdv(energy_v, x2, N, k);
  CHECK_CLOSE("fwdsplit (tape in enzyme_tape memory) tangent vs finite differences", pt.tangent, fd,
              RTOL_FD, ATOL_FD);
  CHECK_CLOSE("fwdsplit primal return", pt.primal, energy_v(x2), RTOL_D, ATOL_D);
  for (int i = 0; i < N; i++) dout[i] = 0;
  __enzyme_reverse((void *)energy, enzyme_allocated, size, enzyme_tape, mem, enzyme_dup, x2, dx,
                   enzyme_const, W, enzyme_dup, out, dout, enzyme_const, N, 1.0);
  free(mem);

  // Scalars: each float followed by its tangent, and a null tape (as Enzyme's own tests pass).
  for (double a = -1.5; a <= 1.5; a += 0.75) {
    double b = 0.8 - a;
    double ta = __enzyme_fwdsplit((void *)scalar, a, 1.0, b, 0.0, (void *)0);
    double tb = __enzyme_fwdsplit((void *)scalar, a, 0.0, b, 1.0, (void *)0);
    CHECK_CLOSE_AT("d/da scalar", a, ta, fd2(scalar, a, b, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("d/db scalar", a, tb, fd2(scalar, a, b, 1), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
