// Regression (found with the omp variant's seed 420179, the same without OpenMP): a helper that is
// not inlined reads pointers through pointers (`*pc`, `*pt`) and selects between an element of
// the enzyme_const array and an active value (`c[i] < s ? c[n - 1 - i] : *t`). At -O2 clang
// selects between the two addresses; the caller stored the constant array's pointer as its own
// shadow (it has none), so the helper's reverse sweep added adjoints into the constant array and
// its forward sweep read the array as a tangent. Oracles: the analytic derivative, forward vs
// reverse, and the constant array unchanged.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"

#define N 6
extern int enzyme_const, enzyme_dup, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double table[N] = {0.3, -0.7, 0.9, 0.1, -0.2, 0.6};
static const double table_ro[N] = {0.3, -0.7, 0.9, 0.1, -0.2, 0.6};

__attribute__((noinline)) static void body(const double *const *pc, double *const *py, double s,
                                           const double *t, int n) {
  const double *c = *pc;
  double *y = *py;
  for (int i = 0; i < n; i++)
    y[i] = 0.25 * y[i] + cos((c[i] < s) ? c[n - 1 - i] : *t) * (1.0 + 0.1 * i);
}

double f(const double *c, double *y, double s, double t, int n) {
  body(&c, &y, s, &t, n);
  return t * t;
}

static void check(const double *c, double t) {
  const double s = 0.2;
  double y[N], dy[N], ty[N], w[N];
  char what[160];
  double want_t = 2.0 * t;
  for (int i = 0; i < N; i++) {
    y[i] = 0.1 * i;
    w[i] = dy[i] = 1.0 + 0.5 * i;
    if (!(c[i] < s))
      want_t += w[i] * -sin(t) * (1.0 + 0.1 * i);
  }
  double gt = __enzyme_autodiff((void *)f, enzyme_const, c, enzyme_dup, y, dy, enzyme_const, s,
                                enzyme_out, t, N);
  snprintf(what, sizeof what, "reverse d/dt at t = %g", t);
  CHECK_CLOSE(what, gt, want_t, RTOL_D, ATOL_D);
  for (int i = 0; i < N; i++)
    CHECK_CLOSE("reverse d/dy", dy[i], 0.25 * w[i], RTOL_D, ATOL_D);
  for (int i = 0; i < N; i++) {
    y[i] = 0.1 * i;
    ty[i] = 0.0;
  }
  double lhs = __enzyme_fwddiff((void *)f, enzyme_const, c, enzyme_dup, y, ty, enzyme_const, s,
                                enzyme_dup, t, 1.0, N);
  for (int i = 0; i < N; i++)
    lhs += w[i] * ty[i];
  CHECK_CLOSE("forward <J v, w> vs reverse", lhs, want_t, RTOL_D, ATOL_D);
  for (int i = 0; i < N; i++)
    CHECK_CLOSE("constant array unchanged", c[i], table_ro[i], 0.0, 0.0);
}

int main(void) {
  check(table, 0.7);
  check(table_ro, -1.3);
  return check_report();
}
