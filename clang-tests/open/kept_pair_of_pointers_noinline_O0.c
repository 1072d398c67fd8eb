// -ferment-no-inline at -O0: a wrong (zero) gradient (found in session 37 reducing
// cases/programs/crtp_expr_vec3.cpp, whose expression-template `dot(a, b)` builds a node of two
// references with `operator*` and passes it to `sum`). Here `dot(a, b)` (kept) gets a struct of
// the two pointers from `mk(a, b)` (kept, returned by value as `{ptr, ptr}`, rewritten to
// `mk.ferment.outret`), stores it in a local and passes its address to `sum` (kept): the
// reverse sweep of `sum` is an empty loop, so every adjoint is lost. Calling `mk` and `sum` from
// the top-level function directly (no `dot` level) or building the pair without `mk` passes;
// -O1..-O3 pass. Build: clang-22 -O0 -mllvm -ferment-no-inline -fpass-plugin=... -I clang-tests/include.
// CFLAGS: -mllvm -ferment-no-inline
// Oracle: the analytic gradient of x[0:3] . x[3:6].
#include "check.h"
double __enzyme_autodiff(void *, ...);
struct Pair { const double *a, *b; };
static struct Pair mk(const double *a, const double *b) { struct Pair p = {a, b}; return p; }
static double sum(const struct Pair *p) {
  double s = 0;
  for (int i = 0; i < 3; i++) s += p->a[i] * p->b[i];
  return s;
}
static double dot(const double *a, const double *b) {
  struct Pair t = mk(a, b);
  return sum(&t);
}
static double f(const double *x) { return dot(x, x + 3); }
int main(void) {
  double x[6] = {1, 2, 3, 4, 5, 6}, dx[6] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx);
  for (int i = 0; i < 6; i++) CHECK_CLOSE("dx", dx[i], x[(i + 3) % 6], 1e-12, 0);
  return check_report();
}
