// Non-inlined callees read their pointer arguments again in the reverse sweep, instead of taping
// what they read, when the caller vouches that nothing writes that memory between the two
// sweeps: a `restrict` parameter the caller never writes and passes only to parameters that are
// `readonly captures(none)` (inferred by LLVM at -O1 and above), also through a second level of
// calls (h passes its vouched pointer on to g) and into a recursive callee. A restrict parameter
// the caller overwrites after the call (w), and scratch written by the callee (tmp), must still be
// taped: their values change before the reverse sweep.
// Oracle: central finite differences of the primal.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"

extern int enzyme_dup, enzyme_const;
double __enzyme_autodiff(void *, ...);

#define N 5

__attribute__((noinline)) static double g(const double *p, double *out) {
  double a = p[0] * p[1];
  double b = sin(p[2]) * a;
  out[0] = a * b + p[1];
  return b * p[0];
}

// Passes its (vouched) pointer on, and reads it after the nested call.
__attribute__((noinline)) static double h(const double *p, double *out) {
  return g(p, out) * p[1] + out[0] * cos(p[0]);
}

__attribute__((noinline)) static double rsum(const double *p, int k) {
  return k == 0 ? p[0] : p[k] * sin(p[0]) + p[0] * rsum(p, k - 1);
}

static double obj(double *restrict a, double *restrict w, int n) {
  double s = 0, tmp[1];
  for (int i = 0; i + 2 < n; i++) s += h(a + i, tmp) * tmp[0];
  for (int i = 0; i + 2 < n; i++) {
    s += g(w + i, tmp) * exp(0.1 * tmp[0]);
    w[i] = w[i] * 0.5 + 0.1 * s; // the memory g read changes before the reverse sweep
  }
  return s + rsum(a, 3) + rsum(w + 1, 2);
}

static double obj_fd(const double *x, const void *ctx) {
  (void)ctx;
  double a[N], w[N];
  for (int i = 0; i < N; i++) {
    a[i] = x[i];
    w[i] = x[N + i];
  }
  return obj(a, w, N);
}

int main(void) {
  double x[2 * N] = {0.7, -0.4, 1.1, 0.25, -0.9, 0.6, 0.3, -1.2, 0.8, 0.45};
  double a[N], w[N], da[N] = {0}, dw[N] = {0}, g2[2 * N];
  for (int i = 0; i < N; i++) {
    a[i] = x[i];
    w[i] = x[N + i];
  }
  __enzyme_autodiff((void *)obj, enzyme_dup, a, da, enzyme_dup, w, dw, enzyme_const, N);
  for (int i = 0; i < N; i++) {
    g2[i] = da[i];
    g2[N + i] = dw[i];
  }
  CHECK_GRAD_FD("obj", obj_fd, 0, x, 2 * N, g2, RTOL_FD, ATOL_FD);
  return check_report();
}
