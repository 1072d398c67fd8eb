// Second derivatives where the inner request is reached only through a function pointer, with
// kept helpers (-ferment-no-inline) sharing a global: `dg` (forward mode) and `rg` (reverse mode)
// differentiate `g`, whose kept `set` writes the global G that the kept `use` reads; the outer
// requests differentiate `apply(f, x)`, which calls its function-pointer argument. The requests'
// order and nesting levels (`frontend::request_levels`, `innermost_first`) followed direct calls
// only, so the outer request was lowered first and met the inner `__enzyme_fwddiff` /
// `__enzyme_autodiff` as an unknown external function (refused at every level, with and without
// the option, on main 270b29f). Now a function passed to a request, or used as a value by a
// function it reaches, counts as reached: the inner request is lowered first and gets level 1,
// the outer level 2 (the tangents and adjoints of G at each level in globals of their own).
// Oracles: central differences of the first derivative, and the analytic second derivative.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"
extern int enzyme_const, enzyme_dup, enzyme_out;
double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff(void *, ...);

static double G;
__attribute__((noinline)) static void set(double x) { G = sin(x) * x; }
__attribute__((noinline)) static double use(double y) { return G * G * y + cos(G); }
static double g(double x) {
  set(x);
  return use(x);
}
static double dg(double x) { return __enzyme_fwddiff((void *)g, x, 1.0); }
static double rg(double x) { return __enzyme_autodiff((void *)g, x); }

typedef double (*fn)(double);
__attribute__((noinline)) static double apply(fn f, double x) { return 2.0 * f(x); }

/* g = G^2 x + cos(G), G = x sin x */
static double g1(double x) {
  double G0 = x * sin(x), dG = sin(x) + x * cos(x);
  return 2 * G0 * dG * x + G0 * G0 - sin(G0) * dG;
}
static double g2(double x) {
  double G0 = x * sin(x), dG = sin(x) + x * cos(x), ddG = 2 * cos(x) - x * sin(x);
  return 2 * dG * dG * x + 2 * G0 * ddG * x + 4 * G0 * dG - cos(G0) * dG * dG - sin(G0) * ddG;
}
static double dg_fd(double x) { return fd1(dg, x); }

int main(void) {
  double xs[] = {0.7, -1.2, 2.3};
  for (int k = 0; k < 3; k++) {
    double x = xs[k];
    CHECK_CLOSE_AT("g' forward vs analytic", x, dg(x), g1(x), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("g' reverse vs analytic", x, rg(x), g1(x), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("analytic g'' vs fd of g'", x, g2(x), dg_fd(x), 1e-5, 1e-7);
    double want = 2 * g2(x);
    CHECK_CLOSE_AT("forward over forward via a pointer", x,
                   __enzyme_fwddiff((void *)apply, enzyme_const, (fn)dg, x, 1.0), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse over forward via a pointer", x,
                   __enzyme_autodiff((void *)apply, enzyme_const, (fn)dg, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward over reverse via a pointer", x,
                   __enzyme_fwddiff((void *)apply, enzyme_const, (fn)rg, x, 1.0), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse over reverse via a pointer", x,
                   __enzyme_autodiff((void *)apply, enzyme_const, (fn)rg, x), want, RTOL_D, ATOL_D);
  }
  return check_report();
}
