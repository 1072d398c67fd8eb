// Non-inlined callees whose tape frame has a fixed size live in their caller's storage (no malloc
// per call): in the caller's tape row when called in a loop (here a while loop with a
// data-dependent trip count, so the row buffer grows, and moves, while frames sit in it), on the
// caller's stack outside loops, inside the frame of a callee that is itself augmented (nested),
// and in the row of a loop of such a callee. A recursive callee keeps a heap frame (its size is
// not known while it is generated), as does the user's __enzyme_augmentfwd tape; a callee that
// returns a pointer into its argument is covered too.
// Oracle: central finite differences of the primal (reverse, at every level), and the split
// request against the combined one.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"

extern int enzyme_dup, enzyme_const, enzyme_nofree;
double __enzyme_autodiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

#define N 6

// Fixed-size frame: a few transcendental values and products are taped.
__attribute__((noinline)) static double leaf(const double *p, double s) {
  double a = sin(p[0] * s) * exp(p[1]);
  double b = p[0] / (1.0 + p[1] * p[1]);
  return a * b + cos(a - s);
}

// An augmented callee that calls another one outside its loop (frame inside its own frame) and
// inside its loop (frames in its loop's rows).
__attribute__((noinline)) static double middle(const double *x, int n) {
  double s = leaf(x, 0.5);
  for (int i = 0; i + 1 < n; i++) s += leaf(x + i, 0.1 * i) * x[i + 1];
  return s * s;
}

// Returns a pointer into its argument (the shadow comes back too).
__attribute__((noinline)) static const double *pick(const double *x, double t) {
  return t > 0 ? x + 1 : x;
}

// Recursive: its frame stays on the heap.
__attribute__((noinline)) static double rpow(const double *x, int k) {
  return k == 0 ? 1.0 : x[0] * sin(x[1]) * rpow(x, k - 1);
}

static double objective(const double *x, const void *ctx) {
  (void)ctx;
  double s = middle(x, N); // outside loops: the caller's stack
  // A data-dependent trip count (no bound at loop entry): the row buffer grows while the
  // frames of `leaf` and `middle` live in its rows.
  double t = 0.0;
  int i = 0;
  while (t < 40.0) {
    const double *q = pick(x, x[i % N] - 0.2);
    t += 1.0 + fabs(leaf(q, 0.3 + 0.01 * i)) + 0.001 * middle(x + (i % 2), N - 1);
    i++;
  }
  return s + t + rpow(x, 3);
}

static double grad_objective(const double *x, double *dx) {
  return __enzyme_autodiff((void *)objective, enzyme_dup, x, dx, enzyme_const, (const void *)0);
}

static void outer(const double *x, double *y) { *y = objective(x, 0) + middle(x, 3); }
static double outer_value(const double *x, const void *ctx) {
  (void)ctx;
  return objective(x, 0) + middle(x, 3);
}

int main(void) {
  double x[N] = {0.7, -0.4, 1.1, 0.25, -0.9, 0.6}, dx[N] = {0};
  grad_objective(x, dx);
  CHECK_GRAD_FD("objective", objective, 0, x, N, dx, RTOL_FD, ATOL_FD);

  // A second call reuses nothing from the first (fresh storage each call).
  double dx2[N] = {0};
  grad_objective(x, dx2);
  CHECK_ARRAY_CLOSE("second call", dx2, dx, N, RTOL_D, ATOL_D);

  // Split mode: the user's tape is a heap frame; the callees' frames sit inside it or in
  // its loops' rows. Run the reverse twice (enzyme_nofree keeps the tape the first time).
  double y = 0, dy = 1.0, dxs[N] = {0};
  void *tape = __enzyme_augmentfwd((void *)outer, enzyme_dup, x, dxs, enzyme_dup, &y, &dy);
  CHECK_CLOSE("split primal", y, outer_value(x, 0), RTOL_D, ATOL_D);
  __enzyme_reverse((void *)outer, enzyme_dup, x, dxs, enzyme_dup, &y, &dy, enzyme_nofree, tape);
  double want[N];
  for (int k = 0; k < N; k++) want[k] = dxs[k];
  CHECK_GRAD_FD("split", outer_value, 0, x, N, want, RTOL_FD, ATOL_FD);
  dy = 2.0;
  __enzyme_reverse((void *)outer, enzyme_dup, x, dxs, enzyme_dup, &y, &dy, tape);
  for (int k = 0; k < N; k++) want[k] *= 3.0;
  CHECK_ARRAY_CLOSE("split, second reverse (seed 2 on top of 1)", dxs, want, N, RTOL_D, ATOL_D);
  return check_report();
}
