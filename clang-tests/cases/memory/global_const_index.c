// Forward and reverse mode through a mutable global array addressed with constant indices
// (constant getelementptr expressions into the global), with an opaque call between the stores
// and the reloads so that no optimization forwards the stored values: the tangents must travel
// through the shadow global (forward mode once read them as zero at -O0). Checked against the
// analytic derivative and central finite differences.
// RUN: clang opt
#include "check.h"
#include <math.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double g[3];
volatile int sink;

__attribute__((noinline)) void opaque(void) { sink++; }

__attribute__((noinline)) double f(double x) {
  g[0] = x;
  g[1] = x * x;
  g[2] = sin(x);
  opaque();
  return g[1] * 3.0 + g[2] * g[0];
}

int main(void) {
  const double xs[] = {-0.8, 0.5, 2.0};
  for (int k = 0; k < 3; k++) {
    double x = xs[k];
    double want = 6 * x + cos(x) * x + sin(x);
    double fwd = __enzyme_fwddiff((void *)f, x, 1.0);
    CHECK_CLOSE_AT("forward df/dx", x, fwd, want, RTOL_D, 1e-12);
    double rev = __enzyme_autodiff((void *)f, x);
    CHECK_CLOSE_AT("reverse df/dx", x, rev, want, RTOL_D, 1e-12);
    double h = 1e-6, fd = (f(x + h) - f(x - h)) / (2 * h);
    CHECK_CLOSE_AT("forward vs FD", x, fwd, fd, RTOL_FD, 1e-7);
  }
  return check_report();
}
