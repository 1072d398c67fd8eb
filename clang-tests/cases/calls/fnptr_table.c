// Calls through function-pointer tables whose targets are known at compile time: a
// `static const` table indexed with constants, and a const struct of function pointers reached
// through a static helper taking a pointer to it. clang -O2 folds the loads itself; at -O0 (and
// under `opt` from -O0 IR) the plugin's own canonicalization of the function it differentiates
// (inlining, then constant folding of loads from constant globals) must resolve them into direct
// calls. The harness has no per-config directives, so the tables are `static const` to make
// every config resolvable. Reverse and forward against analytic derivatives. (The resolved
// calls are not inlined at -O0: they become augmented forward + reverse pairs.)
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef double (*unop)(double);
static double sq(double x) { return x * x; }
static double xsin(double x) { return x * sin(x); }
static double nexp(double x) { return exp(-x); }
static const unop table[3] = {sq, xsin, nexp};

/* f = sq(x) nexp(x) + xsin(2x) */
double f(double x) { return table[0](x) * table[2](x) + table[1](2.0 * x); }

typedef struct {
  unop value;
  double (*combine)(double, double);
} Ops;
static double mul_plus(double a, double b) { return a * b + a; }
static const Ops OPS = {xsin, mul_plus};
static double eval_with(const Ops *o, double x, double y) { return o->value(x) * y + o->combine(x, y); }
/* g = (x sin x) y + x y + x */
double g(double x, double y) { return eval_with(&OPS, x, y); }

int main(void) {
  static const double xs[] = {-1.4, 0.3, 1.1, 2.2};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i], y = 0.5 - x;
    double want = 2.0 * x * exp(-x) - x * x * exp(-x) + 2.0 * sin(2.0 * x) + 4.0 * x * cos(2.0 * x);
    CHECK_CLOSE_AT("oracle: f' vs finite differences", x, want, fd1(f, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse through the static const table", x, __enzyme_autodiff((void *)f, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward through the static const table", x, __enzyme_fwddiff((void *)f, x, 1.0), want, RTOL_D, ATOL_D);
    double dxs = sin(x) + x * cos(x);
    double gx = dxs * y + y + 1.0, gy = x * sin(x) + x;
    CHECK_CLOSE_AT("oracle: dg/dx vs finite differences", x, gx, fd2(g, x, y, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse dg/dx through the const struct of pointers", x, __enzyme_autodiff((void *)g, x, enzyme_const, y), gx, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse dg/dy through the const struct of pointers", x, __enzyme_autodiff((void *)g, enzyme_const, x, y), gy, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward g along (1, 2)", x, __enzyme_fwddiff((void *)g, x, 1.0, y, 2.0), gx + 2.0 * gy, RTOL_D, ATOL_D);
  }
  return check_report();
}
