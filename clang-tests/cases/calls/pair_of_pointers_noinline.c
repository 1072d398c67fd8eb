// Kept functions that pass pointers to each other inside structs returned by value (a C
// `struct { const double *a, *b; }`, nested in another struct, or beside a double), the shape of
// C++ expression templates at -O0 (cases/programs/crtp_expr_vec3.cpp). main 270b29f gave an
// all-zero gradient at -O0 with -ferment-no-inline: the activity summary of a kept callee (`dot`)
// reads its body as the host left it, where `mk`'s `{ptr, ptr}` return is a struct value that
// the analysis does not follow (only the derivative's own copy has it rewritten to
// `mk.ferment.outret`), so `dot`'s result counted as inactive and its caller asked for no
// adjoint. Summaries of such bodies are now conservative for the return and the arguments'
// usefulness (activity-analysis/src/calls.rs). Oracle: central differences; forward vs reverse.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"
extern int enzyme_dup, enzyme_const, enzyme_out, enzyme_dupnoneed;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

struct Pair { const double *a, *b; };
struct Scaled { struct Pair p; double k; };

static struct Pair mk(const double *a, const double *b) {
  struct Pair p = {a, b};
  return p;
}
static double sum(const struct Pair *p) {
  double s = 0;
  for (int i = 0; i < 3; i++) s += p->a[i] * p->b[i];
  return s;
}
static double dot(const double *a, const double *b) {
  struct Pair t = mk(a, b);
  return sum(&t);
}
static double f1(const double *x) { return dot(x, x + 3); }

// A struct holding the pair and a double, built two kept levels down.
static struct Scaled mk_scaled(const double *a, const double *b, double k) {
  struct Scaled s = {mk(a, b), k};
  return s;
}
static double eval_scaled(struct Scaled s) { return s.k * sum(&s.p); }
static double scaled_dot(const double *a, const double *b, double k) {
  return eval_scaled(mk_scaled(a, b, k));
}
static double f2(const double *x) { return scaled_dot(x + 1, x + 3, x[0]) + x[5] * x[5]; }

int main(void) {
  double x[6] = {1.5, -2, 3, 4.25, 5, -6}, dx[6] = {0};
  __enzyme_autodiff((void *)f1, enzyme_dup, x, dx);
  CHECK_ARRAY_FD("pair reverse", x, 6, dx, 1e-6, f1(x), RTOL_FD, ATOL_FD);
  double v[6] = {0.5, -1, 2, 0.25, -0.75, 1.5};
  double tf = __enzyme_fwddiff((void *)f1, enzyme_dup, x, v);
  CHECK_CLOSE("pair forward vs reverse", tf, dotv(dx, v, 6), RTOL_D, 1e-12);

  double y[6] = {0.5, 1, -2, 3, 0.25, 2}, dy[6] = {0};
  __enzyme_autodiff((void *)f2, enzyme_dup, y, dy);
  CHECK_ARRAY_FD("scaled reverse", y, 6, dy, 1e-6, f2(y), RTOL_FD, ATOL_FD);
  double tg = __enzyme_fwddiff((void *)f2, enzyme_dup, y, v);
  CHECK_CLOSE("scaled forward vs reverse", tg, dotv(dy, v, 6), RTOL_D, 1e-12);
  return check_report();
}
