// Split mode where __enzyme_reverse gets other shadow pointers than __enzyme_augmentfwd of the
// same tape (found in session 37 writing programs/split_checkpoint_steps.cpp, whose first version
// passed a scratch shadow to every augmented step and the real adjoint buffers to the reverses).
// At -O0 the derivative of `u[i+1]` / `u[i-1]` chosen by a branch reads its shadow pointer from
// the tape (a phi of GEPs of the augmented call's shadow argument), so part of the adjoint goes
// to the augmented call's shadow `a` instead of the reverse's `lp`; at -O1..-O3 (a select of
// pointers rebuilt from the reverse's own arguments) all of it goes to `lp`. INTERFACE.md says the
// reverse takes "the same arguments", so this may be a contract question rather than a bug, but
// -O0 and -O2 disagree silently. Oracle: the analytic adjoint.
#include "check.h"
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);
enum { N = 4 };
static void step(const double *u, double *un) {
  for (int i = 0; i < N; i++) {
    double l = i > 0 ? u[i - 1] : u[i + 1];
    double r = i < N - 1 ? u[i + 1] : u[i - 1];
    un[i] = l * u[i] + r;
  }
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
  CHECK_ARRAY_CLOSE("adjoint in the reverse's shadow", lp, want, N, 1e-14, 1e-14);
  return check_report();
}
