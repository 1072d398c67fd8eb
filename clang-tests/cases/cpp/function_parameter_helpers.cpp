// The function to differentiate reaches the AD call as a parameter of a helper: a template
// `jvp(f, x, dx)` (Enzyme's nofn.cpp pattern), a reverse-mode `grad(f, x)`, a template that passes
// its own parameter on to another (two levels), and a static C-style helper taking a function
// pointer. Optimization inlines the helpers; at -O0 each call of a helper that this file alone
// defines (static, or a template instance) goes to a copy with the function filled in. One
// template instance called with two different functions gets two copies. Oracles: analytic
// derivatives and central finite differences.
#include "check.h"
#include <cmath>

int enzyme_dup, enzyme_const, enzyme_out;
template <typename R, typename... T> extern R __enzyme_fwddiff(void *, T...);
template <typename R, typename... T> extern R __enzyme_autodiff(void *, T...);

static double square(double x) { return x * x; }
static double wave(double x) { return sin(3 * x) * exp(-0.5 * x); }

template <typename F, typename T> auto jvp(F f, T arg, T darg) {
  using out = decltype(f(arg));
  return __enzyme_fwddiff<out>((void *)f, enzyme_dup, arg, darg);
}
template <typename F> double grad(F f, double x) { return __enzyme_autodiff<double>((void *)f, enzyme_out, x); }
// Two levels: the function passes through a second template.
template <typename F> double both(F f, double x) { return jvp(f, x, 1.0) - grad(f, x); }
static double slope_at(double (*f)(double), double x) {
  return __enzyme_fwddiff<double>((void *)f, enzyme_dup, x, 1.0);
}

int main() {
  for (double x = -1.5; x <= 1.5; x += 0.5) {
    CHECK_CLOSE_AT("jvp(square)", x, jvp(square, x, 1.0), 2 * x, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("jvp(wave) vs finite differences", x, jvp(wave, x, 2.0), 2.0 * fd1(wave, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("grad(square)", x, grad(square, x), 2 * x, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("grad(wave) vs finite differences", x, grad(wave, x), fd1(wave, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("both(wave): forward minus reverse", x, both(wave, x), 0.0, 0.0, 1e-12);
    CHECK_CLOSE_AT("slope_at(wave)", x, slope_at(wave, x),
                   exp(-0.5 * x) * (3 * cos(3 * x) - 0.5 * sin(3 * x)), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("slope_at(square)", x, slope_at(square, x), 2 * x, RTOL_D, ATOL_D);
  }
  return check_report();
}
