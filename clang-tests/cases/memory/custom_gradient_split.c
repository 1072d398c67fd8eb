// RUN: clang opt
// A registered custom gradient (`__enzyme_register_gradient_NAME[3] = { f, augmented_forward,
// reverse }`) used at the top level in split mode: __enzyme_augmentfwd of f calls the user's
// augmented forward function ({tape, primal}, or the tape alone), __enzyme_reverse of f calls the
// user's reverse function (interleaved arguments, the result's adjoint, the tape last) and returns
// its adjoints of the active arguments; a duplicated pointer's adjoint goes to its shadow. The
// rules malloc their tape and free it in the reverse function (valgrind). Oracles: analytic
// derivatives and central finite differences, the combined-mode gradient of the same rule.
#include "check.h"
#include <stdlib.h>

typedef struct { void *tape; double primal; } TD;
typedef struct { double da, db; } G2;
TD __enzyme_augmentfwd(void *, ...);
void *__enzyme_augmentfwd_t(void *, ...) __asm__("__enzyme_augmentfwd");
G2 __enzyme_reverse(void *, ...);
void __enzyme_reverse_v(void *, ...) __asm__("__enzyme_reverse");
G2 __enzyme_autodiff(void *, ...);
extern int enzyme_tape, enzyme_allocated;

static int rule_runs;

// f(a, b) = a^2 * exp(b)
__attribute__((noinline)) double aexp(double a, double b) { return a * a * exp(b); }
TD aexp_aug(double a, double b) {
  double *t = (double *)malloc(2 * sizeof(double));
  t[0] = a;
  t[1] = exp(b);
  TD r = {t, a * a * t[1]};
  return r;
}
G2 aexp_rev(double a, double b, double dret, void *tape) {
  double *t = (double *)tape;
  G2 g = {2 * t[0] * t[1] * dret, t[0] * t[0] * t[1] * dret};
  free(tape);
  (void)a;
  (void)b;
  rule_runs++;
  return g;
}
void *__enzyme_register_gradient_aexp[3] = {(void *)aexp, (void *)aexp_aug, (void *)aexp_rev};

// g(x, n) = sum x[i] * x[i+1], a duplicated pointer; the tape is a copy of x
__attribute__((noinline)) double chain(const double *x, int n) {
  double s = 0;
  for (int i = 0; i + 1 < n; i++) s += x[i] * x[i + 1];
  return s;
}
void *chain_aug(const double *x, const double *dx, int n) {
  (void)dx;
  double *t = (double *)malloc(n * sizeof(double));
  for (int i = 0; i < n; i++) t[i] = x[i];
  return t;
}
void chain_rev(const double *x, double *dx, int n, double dret, void *tape) {
  double *t = (double *)tape;
  for (int i = 0; i + 1 < n; i++) {
    dx[i] += t[i + 1] * dret;
    dx[i + 1] += t[i] * dret;
  }
  free(tape);
  (void)x;
  rule_runs++;
}
void *__enzyme_register_gradient_chain[3] = {(void *)chain, (void *)chain_aug, (void *)chain_rev};

static double B0;
static double aexp_of_a(double a) { return aexp(a, B0); }

int main(void) {
  for (double a = -1.0; a <= 1.5; a += 0.5) {
    double b = 0.2 - 0.3 * a;
    B0 = b;
    TD t = __enzyme_augmentfwd((void *)aexp, a, b);
    CHECK_CLOSE_AT("augmented primal", a, t.primal, a * a * exp(b), RTOL_D, ATOL_D);
    double a0 = a;
    G2 g = __enzyme_reverse((void *)aexp, a + 5.0, b - 1.0, 2.0, t.tape); /* the tape rules */
    CHECK_CLOSE_AT("split d/da (seed 2)", a0, g.da, 2 * 2 * a * exp(b), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("split d/db (seed 2)", a0, g.db, 2 * a * a * exp(b), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("split d/da vs fd", a0, g.da, 2 * fd1(aexp_of_a, a), RTOL_FD, ATOL_FD);
    G2 c = __enzyme_autodiff((void *)aexp, a, b);
    CHECK_CLOSE_AT("combined agrees", a0, c.da, g.da / 2, RTOL_D, ATOL_D);
  }
  enum { N = 5 };
  double x[N] = {0.5, -1.0, 2.0, 0.25, 1.5}, dx[N] = {0}, x0[N];
  for (int i = 0; i < N; i++) x0[i] = x[i];
  void *tape = __enzyme_augmentfwd_t((void *)chain, x, dx, N);
  for (int i = 0; i < N; i++) x[i] = -7.0; /* overwritten between the passes */
  __enzyme_reverse_v((void *)chain, x, dx, N, 1.0, tape);
  for (int i = 0; i < N; i++) {
    double want = (i > 0 ? x0[i - 1] : 0) + (i + 1 < N ? x0[i + 1] : 0);
    CHECK_CLOSE("pointer argument: adjoint in the shadow", dx[i], want, RTOL_D, ATOL_D);
  }
  /* the tape in caller memory */
  double dx2[N] = {0};
  void *slot;
  __enzyme_augmentfwd_t((void *)chain, enzyme_tape, &slot, x0, dx2, N);
  __enzyme_reverse_v((void *)chain, enzyme_tape, &slot, x0, dx2, N, 3.0);
  CHECK_CLOSE("enzyme_tape: adjoint", dx2[2], 3.0 * (x0[1] + x0[3]), RTOL_D, ATOL_D);
  CHECK_TRUE("the user's reverse functions ran", rule_runs == 6 + 6 + 2);
  return check_report();
}
