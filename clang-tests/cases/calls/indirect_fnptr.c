// The function to differentiate reaches the __enzyme_* call indirectly: through a local
// function-pointer variable (an alloca at -O0), a void* variable, and a uintptr_t round trip
// (ptrtoint/inttoptr, as Fortran's c_funloc produces).
#include "check.h"
#include <stdint.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef double (*fn1)(double);
static double f(double x) { return x * sin(x) + exp(0.3 * x); }
static double f_deriv(double x) { return sin(x) + x * cos(x) + 0.3 * exp(0.3 * x); }

int main(void) {
  static const double xs[] = {-1.7, 0.2, 1.4};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i], want = f_deriv(x);
    CHECK_CLOSE_AT("oracle: f' vs finite differences", x, want, fd1(f, x), RTOL_FD, ATOL_FD);
    fn1 p = f;
    void *vp = (void *)p;
    uintptr_t bits = (uintptr_t)f;
    CHECK_CLOSE_AT("reverse via function-pointer variable", x, __enzyme_autodiff((void *)p, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse via void* variable", x, __enzyme_autodiff(vp, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse via uintptr_t round trip", x, __enzyme_autodiff((void *)bits, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward via function-pointer variable", x, __enzyme_fwddiff((void *)p, x, 1.0), want, RTOL_D, ATOL_D);
  }
  return check_report();
}
