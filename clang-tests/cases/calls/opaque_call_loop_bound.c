// A loop whose bound is a global that the call inside it (fflush, inactive)
// may write: the bound is reloaded every iteration and scalar evolution's
// maximum is the int range. The tape must be grown as the loop runs, not
// reserved for 2^31 iterations (gigabytes: here malloc fails under a 1 GiB
// address-space limit and the derivative crashed). Gradient against the
// analytic derivative and central finite differences. (Found by the MPI
// benchmark, where every MPI call is such a call.)
#include <stdio.h>
#include <sys/resource.h>
#include "check.h"

double __enzyme_autodiff(void *, ...);
int steps = 6;

__attribute__((noinline)) static double f(double *x) {
  double s = x[0];
  for (int t = 0; t < steps; t++) {
    fflush(stdout);
    s = sin(s) * s + 0.1 * x[0];
  }
  return s;
}

static double f1(double x) { return f(&x); }

int main(void) {
  struct rlimit lim = {1L << 30, 1L << 30};
  setrlimit(RLIMIT_AS, &lim);
  double x = 0.7, dx = 0;
  __enzyme_autodiff((void *)f, &x, &dx);
  /* analytic: s' = (cos(s) s + sin(s)) s_prev' + 0.1 */
  double s = x, ds = 1;
  for (int t = 0; t < steps; t++) {
    ds = (cos(s) * s + sin(s)) * ds + 0.1;
    s = sin(s) * s + 0.1 * x;
  }
  CHECK_CLOSE("d/dx vs analytic", dx, ds, RTOL_D, ATOL_D);
  CHECK_CLOSE("d/dx vs finite differences", dx, fd1(f1, x), RTOL_FD, ATOL_FD);
  return check_report();
}
