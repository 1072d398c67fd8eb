// Split mode where __enzyme_reverse gets other shadow pointers than the __enzyme_augmentfwd of
// its tape (a scratch shadow in the augmented call, the real adjoint buffer in the reverse, as
// hand-written checkpointing first tried it; found in session 37). The reverse sends every
// adjoint to its own shadows at every -O level: a shadow pointer built from a shadow argument
// alone (here `u[i-1]`/`u[i+1]` chosen by a branch, a phi of GEPs at -O0; a pointer walking the
// array in `walk`, a loop-carried phi) is rebuilt in the reverse from the reverse's own shadow
// argument plus its taped offset, never taped itself (main taped it at -O0, and part of the
// adjoint landed in the augmented call's shadow `a`). The augmented call's shadows stay zero.
// Oracles: the analytic adjoint (`step`) and central differences of lam . f(u) (both).
// RUN: clang opt
#include "check.h"
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);
enum { N = 4, M = 6 };
static void step(const double *u, double *un) {
  for (int i = 0; i < N; i++) {
    double l = i > 0 ? u[i - 1] : u[i + 1];
    double r = i < N - 1 ? u[i + 1] : u[i - 1];
    un[i] = l * u[i] + r;
  }
}
// A pointer walking `u` two elements or one at a time depending on the data, and an output
// pointer walking `out` backwards: both loop-carried phis of GEPs of their arguments.
__attribute__((noinline)) static void walk(const double *u, double *out) {
  const double *p = u;
  double *q = out + M - 1;
  for (int k = 0; k < M; k++) {
    double v = *p;
    *q = v * v + (p > u ? p[-1] : 0.5) * v;
    q--;
    if (v > 0.4 && p + 2 < u + M)
      p += 2;
    else if (p + 1 < u + M)
      p += 1;
  }
}
static const double lam_w[M] = {1.0, -2.0, 0.5, 3.0, 1.5, -1.0};
static double walk_dot(const double *u) {
  double out[M];
  walk(u, out);
  double s = 0;
  for (int k = 0; k < M; k++)
    s += lam_w[k] * out[k];
  return s;
}
static double step_dot(const double *u) {
  static const double lam[N] = {1, 2, 3, 4};
  double un[N];
  step(u, un);
  double s = 0;
  for (int i = 0; i < N; i++)
    s += lam[i] * un[i];
  return s;
}
int main(void) {
  double u[N] = {0.1, 0.5, 0.3, 0.7}, un[N];
  double a[N] = {0}, b[N] = {0}, lam[N] = {1, 2, 3, 4}, lp[N] = {0}, want[N] = {0};
  for (int i = 0; i < N; i++) {
    int li = i > 0 ? i - 1 : i + 1, ri = i < N - 1 ? i + 1 : i - 1;
    want[li] += lam[i] * u[i];
    want[i] += lam[i] * u[li];
    want[ri] += lam[i];
  }
  void *t = __enzyme_augmentfwd((void *)step, enzyme_dup, u, a, enzyme_dup, un, b);
  __enzyme_reverse((void *)step, enzyme_dup, u, lp, enzyme_dup, un, lam, t);
  CHECK_ARRAY_CLOSE("step: adjoint in the reverse's shadow", lp, want, N, 1e-14, 1e-14);
  CHECK_ARRAY_FD("step: adjoint vs central differences", u, N, lp, 1e-6, step_dot(u), RTOL_FD,
                 1e-8);
  double zero[N] = {0};
  CHECK_ARRAY_CLOSE("step: the augmented call's shadow untouched", a, zero, N, 0, 0);

  double w[M] = {0.3, 0.9, 0.2, 0.6, 0.45, 0.8}, out[M];
  double wa[M] = {0}, ob[M] = {0}, wl[M] = {0}, seed[M];
  for (int k = 0; k < M; k++)
    seed[k] = lam_w[k];
  void *t2 = __enzyme_augmentfwd((void *)walk, enzyme_dup, w, wa, enzyme_dup, out, ob);
  CHECK_CLOSE("walk: primal", out[M - 1], w[0] * w[0] + 0.5 * w[0], 1e-15, 0);
  __enzyme_reverse((void *)walk, enzyme_dup, w, wl, enzyme_dup, out, seed, t2);
  CHECK_ARRAY_FD("walk: adjoint vs central differences", w, M, wl, 1e-6, walk_dot(w), RTOL_FD,
                 1e-8);
  double zm[M] = {0};
  CHECK_ARRAY_CLOSE("walk: the augmented call's shadow untouched", wa, zm, M, 0, 0);
  CHECK_ARRAY_CLOSE("walk: the seed consumed", seed, zm, M, 0, 0);
  return check_report();
}
