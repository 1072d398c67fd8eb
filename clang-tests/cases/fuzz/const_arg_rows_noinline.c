// CFLAGS: -mllvm -ferment-no-inline
// Reverse and forward mode of a kernel whose helper, a call of its own (-ferment-no-inline),
// stores an enzyme_const argument and an active local array into one array of row pointers
// (`fill_rows(rows, p0, a0)`: `rows[1] = p0`). The helper's derivative stores the constant
// pointer into the rows' shadow in place of its shadow; the caller loaded it back as the row's
// shadow and added adjoints into the constant (read-only) table: a segmentation fault on main
// a845f59 at -O0..-O3 (forward mode read the table's values as tangents). The caller now treats
// pointers loaded from memory that such a call receives as possibly their own shadows.
// Found while writing fuzz/fwd_over_rev_const_arg_rows.c.
// Oracles: central differences of f (gradient and directional derivative).
#include "check.h"

extern int enzyme_const, enzyme_dup, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { N = 3 };
static const double pc[N] = {0.3, -0.6, 0.9};

__attribute__((noinline)) static void fill_rows(const double **rows, const double *c, const double *a) {
  rows[0] = a;
  rows[1] = c;
}

double f2(const double *p0, const double *w, double s) {
  double a0[N];
  for (int q = 0; q < N; q++)
    a0[q] = cos(s * w[q]) + 0.3 * q;
  const double *rows[2];
  fill_rows(rows, p0, a0);
  double t = 0;
  for (int i = 0; i < 2 * N; i++)
    t += rows[i % 2][i % N] * rows[(i + 1) % 2][(i + 1) % N] * w[i % N];
  return t + s * t;
}

int main(void) {
  const double pts[2][N + 1] = {{0.3, -0.7, 0.9, 0.8}, {-0.5, 0.4, 0.6, -0.3}};
  const double v[N + 1] = {0.2, -0.1, 0.3, 0.5};
  const double e = 1e-6;
  for (int k = 0; k < 2; k++) {
    double w[N] = {pts[k][0], pts[k][1], pts[k][2]}, dw[N] = {0, 0, 0}, s = pts[k][N];
    double gs = __enzyme_autodiff((void *)f2, enzyme_const, pc, enzyme_dup, w, dw, enzyme_out, s);
    for (int i = 0; i < N; i++) {
      double wp[N] = {w[0], w[1], w[2]}, wm[N] = {w[0], w[1], w[2]};
      wp[i] += e;
      wm[i] -= e;
      CHECK_CLOSE_AT("reverse dw vs FD", k, dw[i], (f2(pc, wp, s) - f2(pc, wm, s)) / (2 * e), RTOL_FD, ATOL_FD);
    }
    CHECK_CLOSE_AT("reverse ds vs FD", k, gs, (f2(pc, w, s + e) - f2(pc, w, s - e)) / (2 * e), RTOL_FD, ATOL_FD);
    double tw[N] = {v[0], v[1], v[2]}, wp[N], wm[N];
    double df = __enzyme_fwddiff((void *)f2, enzyme_const, pc, enzyme_dup, w, tw, s, v[N]);
    for (int i = 0; i < N; i++) {
      wp[i] = w[i] + e * v[i];
      wm[i] = w[i] - e * v[i];
    }
    CHECK_CLOSE_AT("forward vs FD", k, df, (f2(pc, wp, s + e * v[N]) - f2(pc, wm, s - e * v[N])) / (2 * e), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("pc unchanged", k, pc[0] + pc[1] + pc[2], 0.6, 1e-15, 1e-15);
  }
  return check_report();
}
