// A helper that is not inlined and returns a struct mixing a double with an int (the C ABI
// returns `{ double, i32 }`): ferment does not differentiate such a result yet, so it must say
// so rather than treat the double as constant (which gave a derivative of 0).
// CFLAGS: -mllvm -ferment-no-inline
// EXPECT-ERROR: returns '{ double, i32 }', which mixes floating-point values with other fields
// EXPECT-ERROR: err_struct_return_mixed.c:21:
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
  CHECK_CLOSE("df/ds", d, 6.0, RTOL_D, ATOL_D);
  return check_report();
}
