// A recursive helper that rebuilds its argument struct from the pointers it was given
// (`struct Args n = {k->c, k->a, k->out}` before the recursive call), the shape of a C++ lambda
// object a recursive `std::visit` or `std::function` builds from its captures. One captured
// pointer is constant data (an `enzyme_const` argument, a constant table): the caller stores it
// in place of its shadow, and the recursive function stores it again into its local struct.
// On main b8e9884 a compile error at -O0..-O3 ("passes on or updates through ..., a pointer
// loaded from memory where the caller may have stored a pointer to constant data in place of
// its shadow"). Reverse and forward mode. Oracles: the analytic derivative, central
// differences.
#include "check.h"

extern int enzyme_const, enzyme_dup, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

struct Args {
  const double *c; // constant coefficients
  const double *a; // active inputs
  double *out;     // active scratch written at each level
};

static double rec(const struct Args *k, int d);

__attribute__((noinline)) static double level(const struct Args *k, int d) {
  struct Args n = {k->c, k->a, k->out + 1};
  if (d == 0) return k->c[0] * sin(k->a[0]);
  double r = k->a[1] * rec(&n, d - 1) + k->c[1] * k->a[0];
  k->out[0] = r;
  return r;
}

static double rec(const struct Args *k, int d) { return level(k, d) + k->a[0] * k->out[1]; }

static const double tbl[2] = {2.0, 0.5};

// a: active inputs; c: coefficients (constant)
static double f_table(const double *a) {
  double scratch[8] = {0};
  struct Args k = {tbl, a, scratch};
  return rec(&k, 3);
}

static double f_arg(const double *a, const double *c) {
  double scratch[8] = {0};
  struct Args k = {c, a, scratch};
  return rec(&k, 3) * c[1];
}

static double xs[2] = {0.5, 1.5};
static int which;
static double one_table(double t) {
  double y[2] = {xs[0], xs[1]};
  y[which] = t;
  return f_table(y);
}
static double one_arg(double t) {
  double y[2] = {xs[0], xs[1]};
  y[which] = t;
  return f_arg(y, tbl);
}

int main(void) {
  // f_table by hand: r0 = 2 sin a0, r_d = a1 (r_{d-1} + a0 s_{d-1}) + 0.5 a0 where s_{d-1} is
  // the scratch slot the level below wrote (0 at the bottom), rec(d) = r_d + a0 s_d.
  double a0 = xs[0], a1 = xs[1];
  // levels (top d=3 writes scratch[0], d=2 writes scratch[1], d=1 writes scratch[2])
  double r0 = 2 * sin(a0), dr0 = 2 * cos(a0), dr0b = 0; // d/da0, d/da1
  double rec0 = r0, drec0 = dr0, drec0b = dr0b;          // scratch[3] = 0
  double r1 = a1 * rec0 + 0.5 * a0, dr1 = a1 * drec0 + 0.5, dr1b = rec0 + a1 * drec0b;
  double rec1 = r1, drec1 = dr1, drec1b = dr1b; // reads scratch[3] = 0 (not written)
  double r2 = a1 * rec1 + 0.5 * a0, dr2 = a1 * drec1 + 0.5, dr2b = rec1 + a1 * drec1b;
  // rec2 reads scratch[2] = r1
  double rec2 = r2 + a0 * r1, drec2 = dr2 + r1 + a0 * dr1, drec2b = dr2b + a0 * dr1b;
  double r3 = a1 * rec2 + 0.5 * a0, dr3 = a1 * drec2 + 0.5, dr3b = rec2 + a1 * drec2b;
  // rec3 reads scratch[1] = r2
  double want[2] = {dr3 + r2 + a0 * dr2, dr3b + a0 * dr2b};
  (void)r3;
  for (int i = 0; i < 2; i++) {
    which = i;
    CHECK_CLOSE_AT("oracle: analytic vs finite differences", i, want[i], fd1(one_table, xs[i]),
                   RTOL_FD, ATOL_FD);
    double d[2] = {0, 0};
    d[i] = 1;
    CHECK_CLOSE_AT("forward, constant table", i, __enzyme_fwddiff((void *)f_table, xs, d),
                   want[i], RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward, enzyme_const argument", i,
                   __enzyme_fwddiff((void *)f_arg, enzyme_dup, xs, d, enzyme_const, tbl),
                   fd1(one_arg, xs[i]), RTOL_FD, ATOL_FD);
  }
  double g[2] = {0, 0};
  __enzyme_autodiff((void *)f_table, xs, g);
  for (int i = 0; i < 2; i++) CHECK_CLOSE_AT("reverse, constant table", i, g[i], want[i], RTOL_D, ATOL_D);
  double h[2] = {0, 0};
  __enzyme_autodiff((void *)f_arg, enzyme_dup, xs, h, enzyme_const, tbl);
  for (int i = 0; i < 2; i++)
    CHECK_CLOSE_AT("reverse, enzyme_const argument", i, h[i], want[i] * tbl[1], RTOL_D, ATOL_D);
  return check_report();
}
