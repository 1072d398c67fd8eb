// Enzyme's -enzyme-load-inactive-file=F (ferment's name: -ferment-inactive-file=F, both
// repeatable): the functions F names, one a line, carry no derivative, as if listed in an
// __enzyme_inactivefn global. inactive_file.list names `damp` (static and small: without the
// list it would be inlined before ferment sees it) after a comment line, then a blank line;
// inactive_file_more.list names `tilt` and a name no function has (ignored). `keep` is in neither
// list and stays active. Reverse and forward mode; oracle: the analytic derivative with the
// listed calls' results held constant. On a plugin without the option, clang rejects the flag.
// CFLAGS: -mllvm -enzyme-load-inactive-file=@CASE_DIR@/inactive_file.list -mllvm -ferment-inactive-file=@CASE_DIR@/inactive_file_more.list
#include "check.h"
#include <math.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double damp(double x) { return exp(-0.5 * x); }
__attribute__((noinline)) double tilt(double x) { return sin(x) + x * x; }
__attribute__((noinline)) double keep(double x) { return cos(x); }

static double model(double x) { return damp(x) * tilt(x) * x + 3.0 * keep(x); }

int main(void) {
  const double xs[] = {-0.7, 0.3, 1.9};
  for (int i = 0; i < 3; i++) {
    double x = xs[i];
    /* damp(x) and tilt(x) are constants: d/dx = damp * tilt - 3 sin x */
    double want = damp(x) * tilt(x) - 3.0 * sin(x);
    CHECK_CLOSE_AT("reverse", x, __enzyme_autodiff((void *)model, x), want, RTOL_D, 1e-14);
    CHECK_CLOSE_AT("forward", x, __enzyme_fwddiff((void *)model, x, 1.0), want, RTOL_D, 1e-14);
  }
  return check_report();
}
