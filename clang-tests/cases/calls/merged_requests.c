// Two AD calls in the two arms of a branch, identical but for the function: at -O2 clang's
// SimplifyCFG sinks them into one call whose function argument is a select of the two
// functions. Each arm must still get its own function's derivative (reverse with a returned
// derivative, reverse into shadows, forward). Oracles: analytic derivatives.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
void __enzyme_autodiff_v(void *, ...) __asm__("__enzyme_autodiff");

__attribute__((noinline)) double f(double *x) { return x[0] * x[0]; }
__attribute__((noinline)) double g(double *x) { return x[0] * x[1]; }
__attribute__((noinline)) double h(double a) { return sin(a); }
__attribute__((noinline)) double k(double a) { return a * a * a; }

__attribute__((noinline)) void grad(int which, double *x, double *dx) {
  if (which)
    __enzyme_autodiff_v((void *)f, enzyme_dup, x, dx);
  else
    __enzyme_autodiff_v((void *)g, enzyme_dup, x, dx);
}
__attribute__((noinline)) double dscalar(int which, double a) {
  double r;
  if (which)
    r = __enzyme_autodiff((void *)h, a);
  else
    r = __enzyme_autodiff((void *)k, a);
  return r;
}
__attribute__((noinline)) double tangent(int which, double a) {
  double r;
  if (which)
    r = __enzyme_fwddiff((void *)h, a, 1.0);
  else
    r = __enzyme_fwddiff((void *)k, a, 1.0);
  return r;
}

int main(void) {
  for (int which = 0; which < 2; which++) {
    double x[2] = {1.5, -2.0}, dx[2] = {0, 0};
    grad(which, x, dx);
    CHECK_CLOSE_AT("reverse into shadows, d/dx0", which, dx[0], which ? 2 * x[0] : x[1], RTOL_D,
                   ATOL_D);
    CHECK_CLOSE_AT("reverse into shadows, d/dx1", which, dx[1], which ? 0.0 : x[0], RTOL_D,
                   ATOL_D);
    double a = 0.7;
    double want = which ? cos(a) : 3 * a * a;
    CHECK_CLOSE_AT("reverse, returned derivative", which, dscalar(which, a), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward", which, tangent(which, a), want, RTOL_D, ATOL_D);
  }
  return check_report();
}
