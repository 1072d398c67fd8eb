// A buffer the differentiated function allocates and hands to its caller through a duplicated
// pointer argument (what a Fortran `allocatable, intent(out)` argument is): the function never
// frees it, so its shadow, stored into the caller's shadow pointer, must outlive the derivative
// too (the reverse sweep used to free it, and the caller's free of both buffers was a double
// free). Reverse mode: the gradient of the returned value against the analytic one and central
// finite differences; the shadow buffer is the caller's, zero after the sweep (a fresh buffer
// has no seed). Forward mode: the tangents in the shadow buffer. valgrind-clean, both freed by
// the caller.
#include "check.h"
#include <math.h>
#include <stdlib.h>

extern int enzyme_dup, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

__attribute__((noinline)) double make(double x, double **out) {
  double *p = malloc(2 * sizeof(double));
  p[0] = x * x;
  p[1] = sin(x);
  *out = p;
  return p[0] * p[1];
}

static double make_pure(const double *x, const void *c) {
  (void)c;
  double *p;
  double v = make(x[0], &p);
  free(p);
  return v;
}

int main(void) {
  double xs[3] = {-1.2, 0.4, 2.1};
  for (int k = 0; k < 3; k++) {
    double x = xs[k];
    double *y = NULL, *dy = NULL;
    double dx = __enzyme_autodiff((void *)make, enzyme_out, x, enzyme_dup, &y, &dy);
    double want = 2 * x * sin(x) + x * x * cos(x);
    CHECK_CLOSE_AT("reverse d/dx", x, dx, want, RTOL_D, 1e-12);
    CHECK_CLOSE_AT("reverse vs FD", x, dx, fdvc(make_pure, NULL, &x, 1, 0), RTOL_FD, ATOL_FD);
    CHECK_TRUE("primal buffer returned", y != NULL && y[0] == x * x);
    CHECK_TRUE("shadow buffer returned, zero", dy != NULL && dy != y && dy[0] == 0 && dy[1] == 0);
    free(y);
    free(dy);
    y = NULL;
    dy = NULL;
    double t = __enzyme_fwddiff((void *)make, x, 1.0, &y, &dy);
    CHECK_CLOSE_AT("forward d/dx", x, t, want, RTOL_D, 1e-12);
    CHECK_TRUE("forward shadow buffer", dy != NULL && dy != y);
    CHECK_CLOSE_AT("forward tangent of p[0]", x, dy[0], 2 * x, RTOL_D, 1e-12);
    CHECK_CLOSE_AT("forward tangent of p[1]", x, dy[1], cos(x), RTOL_D, 1e-12);
    free(y);
    free(dy);
  }
  return check_report();
}
