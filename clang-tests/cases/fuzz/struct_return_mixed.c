// A helper that is not inlined and returns a struct mixing a double with an int (the C ABI
// returns `{ double, i32 }`): the double's derivative comes back out of the struct (it once was
// treated as constant, a derivative of 0). Oracle: analytic derivative on both branches.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"

struct DI {
  double x;
  int n;
};
double __enzyme_autodiff(void *, ...);

__attribute__((noinline)) static struct DI scaled(double a) {
  struct DI r = {3.0 * a, a > 0.0 ? 2 : 1};
  return r;
}

double f(double s) {
  struct DI r = scaled(s);
  return r.x * r.n;
}

int main(void) {
  double d = __enzyme_autodiff((void *)f, 0.5);
  CHECK_CLOSE("df/ds at s > 0", d, 6.0, RTOL_D, ATOL_D);
  d = __enzyme_autodiff((void *)f, -0.5);
  CHECK_CLOSE("df/ds at s < 0", d, 3.0, RTOL_D, ATOL_D);
  return check_report();
}
