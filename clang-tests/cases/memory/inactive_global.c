// __enzyme_inactive_global: globals whose memory never carries a derivative (parameters read as
// constants, logs and counters written by the function); checked against analytic values and
// finite differences in both modes.
#include "check.h"
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;
// A scale factor and a call counter kept in globals: declared inactive, the scale is a constant
// for differentiation and the counter's (float) value carries no derivative.
double scale = 3.0;
double last_input;
double table[4] = {1.0, 2.0, 3.0, 4.0};
void *__enzyme_inactive_global_scale[1] = {(void *)&scale};
void *__enzyme_inactive_global_last[1] = {(void *)&last_input};
void *__enzyme_inactive_global_table[1] = {(void *)&table};

__attribute__((noinline)) static double helper(double x) { return table[2] * x; }
double calls;
void *__enzyme_inactive_global_calls[1] = {(void *)&calls};
// A log of the last input and a call counter written by the function (active values stored
// into inactive globals: the derivative is dropped, the primal stores happen).
static double f(double x) {
  last_input = x;
  calls += 1.0;
  return scale * sin(x) + table[1] * x + helper(x);
}
// Reads of inactive globals are constants even when the derivative would flow through them.
static double g(double x) { return scale * sin(x) + last_input * table[1] * x + helper(x); }
int main(void) {
  double xs[] = {0.3, -1.2, 2.0};
  for (int i = 0; i < 3; i++) {
    double x = xs[i];
    double want = 3.0 * cos(x) + 2.0 + 3.0;
    double before = calls;
    CHECK_CLOSE("reverse f", __enzyme_autodiff((void *)f, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE("reverse f keeps the primal stores", last_input, x, 0, 0);
    CHECK_CLOSE("forward f", __enzyme_fwddiff((void *)f, x, 1.0), want, RTOL_D, ATOL_D);
    CHECK_CLOSE("f counted its calls", calls - before, 2.0, 0, 0);
    CHECK_CLOSE("finite differences agree", fd1(f, x), want, RTOL_FD, ATOL_FD);
    last_input = 2.0 * x;
    CHECK_CLOSE("reverse g", __enzyme_autodiff((void *)g, x), 3.0 * cos(x) + 2.0 * last_input + 3.0, RTOL_D, ATOL_D);
    CHECK_CLOSE("forward g", __enzyme_fwddiff((void *)g, x, 1.0), 3.0 * cos(x) + 2.0 * last_input + 3.0, RTOL_D, ATOL_D);
  }
  return check_report();
}
