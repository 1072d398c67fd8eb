// CFLAGS: -mllvm -ferment-no-inline
// VALGRIND
// Reverse mode over split mode with calls kept (-ferment-no-inline): `f` calls two kept helpers
// that share a global buffer (`put` fills it from p and s, `get` reads it back with p), and
// the reverse gradient of `gv(x) = grad_split(x) . V` (its own gradient is H V) differentiates
// `f`'s augmented and reverse functions. Refused before session 38 (main 2bc82ae) with "passes
// on or updates through '%phi', a pointer loaded from memory where the caller may have stored a
// pointer to constant data in place of its shadow" in `ferment.augmented.put`: the outer
// derivative of `f`'s augmented function got `__enzyme_augmentfwd`'s null frame storage without
// a shadow, so its frame (a phi of the storage and its `malloc`) counted as a pointer standing
// for its own shadow, and so did the slot of it each kept helper takes as its own storage. A
// null frame storage now has the null shadow in reverse mode too (as in forward mode). The same
// with the buffer a local array passed to the helpers (`gv_local`), refused the same way.
// Under valgrind: the outer derivative of `f`'s augmented function hands the shadow of its
// heap frame to the caller, and the outer reverse function frees the primal frame; the hand-off
// list (`memory::handoffs_needed`) now looks into the inner request's derivatives and the
// specialized `grad_split`, so the outer reverse frees that shadow (before session 39 it looked
// into no `ferment.*` function: one 128-byte block leaked per gradient).
// Oracles: central differences of f for the split gradient, central differences of the
// gradient for H V, and H V against the Hessian's symmetry (e_i . H V vs V . H e_i).
#include "check.h"

extern int enzyme_const, enzyme_dup, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_reverse(void *, ...);
void *__enzyme_augmentfwd(void *, ...);

enum { N = 3, NX = N + 1 };
static double gbuf[N];

__attribute__((noinline)) static void put(double *b, const double *p, double s) {
  for (int i = 0; i < N; i++)
    b[i] = sin(p[i] * s);
}
__attribute__((noinline)) static double get(const double *b, const double *p) {
  double t = 0;
  for (int i = 0; i < N; i++)
    t += b[i] * b[(i + 1) % N] * p[i];
  return t;
}
__attribute__((noinline)) static void put_g(const double *p, double s) { put(gbuf, p, s); }
__attribute__((noinline)) static double get_g(const double *p) { return get(gbuf, p); }

double f(const double *p, double s) {
  put_g(p, s);
  return get_g(p) + s * s * p[0];
}
double f_local(const double *p, double s) {
  double b[N];
  put(b, p, s);
  return get(b, p) + s * s * p[0];
}

typedef double (*fn)(const double *, double);
static void grad_split(fn g, const double *x, double *out) {
  double p[N] = {x[0], x[1], x[2]}, dp[N] = {0, 0, 0};
  void *tape = __enzyme_augmentfwd((void *)g, enzyme_dup, p, dp, x[N]);
  out[N] = __enzyme_reverse((void *)g, enzyme_dup, p, dp, x[N], 1.0, tape);
  for (int i = 0; i < N; i++)
    out[i] = dp[i];
}

static double V[NX];
static double gv(const double *x) {
  double g[NX];
  grad_split(f, x, g);
  return dotv(g, V, NX);
}
static double gv_local(const double *x) {
  double g[NX];
  grad_split(f_local, x, g);
  return dotv(g, V, NX);
}
static double f_at(const double *x) { return f(x, x[N]); }

int main(void) {
  const double pts[2][NX] = {{0.3, -0.7, 0.9, 0.6}, {-0.4, 0.5, 0.2, -0.8}};
  const double dirs[2][NX] = {{0.2, -0.1, 0.3, 0.5}, {-0.4, 0.25, 0.1, -0.3}};
  const double e = 1e-5;
  for (int k = 0; k < 2; k++) {
    const double *x = pts[k];
    double g[NX], xp[NX], xm[NX];
    grad_split(f, x, g);
    memcpy(xp, x, sizeof xp);
    CHECK_ARRAY_FD("split gradient vs FD of f", xp, NX, g, e, f_at(xp), RTOL_FD, ATOL_FD);
    double hv[2][NX];
    for (int d = 0; d < 2; d++) {
      memcpy(V, dirs[d], sizeof V);
      double h[NX] = {0}, hl[NX] = {0};
      memcpy(xp, x, sizeof xp);
      __enzyme_autodiff((void *)gv, enzyme_dup, xp, h);
      __enzyme_autodiff((void *)gv_local, enzyme_dup, xp, hl);
      for (int i = 0; i < NX; i++) {
        memcpy(xp, x, sizeof xp);
        memcpy(xm, x, sizeof xm);
        xp[i] += e;
        xm[i] -= e;
        double want = (gv(xp) - gv(xm)) / (2 * e);
        CHECK_CLOSE_AT("H v (reverse over split) vs FD of the gradient", i, h[i], want, RTOL_FD,
                       ATOL_FD);
        CHECK_CLOSE_AT("H v, local buffer, vs the global one", i, hl[i], h[i], RTOL_D, ATOL_D);
        hv[d][i] = h[i];
      }
    }
    // symmetry: dirs[0] . H dirs[1] == dirs[1] . H dirs[0]
    CHECK_CLOSE_AT("Hessian symmetry", k, dotv(dirs[0], hv[1], NX), dotv(dirs[1], hv[0], NX),
                   RTOL_D, ATOL_D);
  }
  return check_report();
}
