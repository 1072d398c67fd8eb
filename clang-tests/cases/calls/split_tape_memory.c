// Split mode with the tape in the caller's memory (`enzyme_allocated n, enzyme_tape p`, as
// libCEED uses it), `__enzyme_augmentsize` with markers only, and `enzyme_nofree` to run the
// reverse sweep twice; adjoints checked against analytic derivatives.
#include "check.h"
#include <stdlib.h>
int __enzyme_augmentsize(void *, ...);
void __enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);
double __enzyme_augmentfwd_d(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_allocated, enzyme_tape, enzyme_nofree, enzyme_out;

// y = a^3 + a^2 x + a / 2, per component; the derivative wrt a of sum(w .* y).
static void cubic(const double *x, double *y, const double *a, int n) {
  double t = a[0];
  for (int i = 0; i < n; i++) y[i] = t * t * t + t * t * x[i] + t / 2.0 + sin(x[i] * t);
}
static double scalar(double x, double k) { return k * exp(x) * x; }

int main(void) {
  enum { N = 5 };
  double x[N] = {0.1, -0.4, 0.7, 1.1, -1.3}, y[N], dy[N], a = 0.8, da = 0.0;
  int size = __enzyme_augmentsize((void *)cubic, enzyme_const, enzyme_dup, enzyme_dup, enzyme_const);
  void *tape = malloc(size);
  for (int rep = 0; rep < 2; rep++) {
    __enzyme_augmentfwd((void *)cubic, enzyme_allocated, size, enzyme_tape, tape, enzyme_const, x,
                        enzyme_dup, y, dy, enzyme_dup, &a, &da, enzyme_const, N);
    for (int i = 0; i < N; i++) {
      double want = a * a * a + a * a * x[i] + a / 2.0 + sin(x[i] * a);
      CHECK_CLOSE("augmented forward computes the primal", y[i], want, RTOL_D, ATOL_D);
    }
    for (int i = 0; i < N; i++) dy[i] = 1.0 + i;
    da = 0.0;
    // The second time the first reverse sweep keeps the tape (enzyme_nofree), so the reverse
    // sweep runs twice from one augmented forward sweep and the adjoint doubles.
    // (The reverse sweep consumes dy, as the adjoint of an overwritten output: seed it again.)
    if (rep == 1) {
      __enzyme_reverse((void *)cubic, enzyme_allocated, size, enzyme_tape, tape, enzyme_nofree,
                       enzyme_const, x, enzyme_dup, y, dy, enzyme_dup, &a, &da, enzyme_const, N);
      for (int i = 0; i < N; i++) dy[i] = 1.0 + i;
    }
    __enzyme_reverse((void *)cubic, enzyme_allocated, size, enzyme_tape, tape, enzyme_const, x,
                     enzyme_dup, y, dy, enzyme_dup, &a, &da, enzyme_const, N);
    double want = 0;
    for (int i = 0; i < N; i++)
      want += (1.0 + i) * (3 * a * a + 2 * a * x[i] + 0.5 + cos(x[i] * a) * x[i]);
    CHECK_CLOSE("adjoint of a from the tape in user memory", da, (1 + rep) * want, RTOL_D, ATOL_D);
  }
  // The tape markers after the arguments, where Enzyme's users also put them.
  {
    double a2 = 1.3, da2 = 0.0;
    void *t2 = malloc(size);
    __enzyme_augmentfwd((void *)cubic, enzyme_const, x, enzyme_dup, y, dy, enzyme_dup, &a2, &da2,
                        enzyme_const, N, enzyme_allocated, size, enzyme_tape, t2);
    for (int i = 0; i < N; i++) dy[i] = 2.0 - i;
    __enzyme_reverse((void *)cubic, enzyme_const, x, enzyme_dup, y, dy, enzyme_dup, &a2, &da2,
                     enzyme_const, N, enzyme_allocated, size, enzyme_tape, t2);
    double want = 0;
    for (int i = 0; i < N; i++)
      want += (2.0 - i) * (3 * a2 * a2 + 2 * a2 * x[i] + 0.5 + cos(x[i] * a2) * x[i]);
    CHECK_CLOSE("adjoint with the tape markers last", da2, want, RTOL_D, ATOL_D);
    free(t2);
  }
  free(tape);

  // A scalar function returning its value: the tape goes to memory, the call returns the primal.
  // (The reverse sweep is not run here, so its tape is never freed.)
  char buf[64];
  double xs = 0.6;
  double v = __enzyme_augmentfwd_d((void *)scalar, enzyme_allocated, sizeof buf, enzyme_tape, buf, xs, enzyme_const, 2.0);
  CHECK_CLOSE("primal returned", v, scalar(xs, 2.0), RTOL_D, ATOL_D);
  return check_report();
}
