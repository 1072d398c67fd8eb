// NOT FIXED (wrong derivative, -O0 and -O2): a memcpy of a struct whose array field is filled
// through a variable index. Type analysis records only the field's first element (offset 0)
// and the int field (offset 24); the reverse sweep's memcpy layout ("Fields") then moves the
// adjoint of a[0] only: d x[1], d x[2] come out 0. (A copy of floats only was fixed in
// retype::copy_layout; with an integer among the bytes the unknown gap stays ambiguous.)
// Found while reducing fuzz seed 3213. Expected: dx[i] = 4 x[i].
#include "check.h"

double __enzyme_autodiff(void *, ...);
struct A {
  double a[3];
  int k;
};
double f(double *x, int n) {
  struct A s, t;
  for (int i = 0; i < n; i++)
    s.a[i] = x[i] * x[i];
  s.k = 2;
  memcpy(&t, &s, sizeof s);
  double r = 0;
  for (int i = 0; i < n; i++)
    r += t.a[i] * t.k;
  return r;
}
int main(void) {
  double x[3] = {1, 2, 3}, dx[3] = {0};
  __enzyme_autodiff((void *)f, x, dx, 3);
  for (int i = 0; i < 3; i++)
    CHECK_CLOSE("d f / d x[i]", dx[i], 4 * x[i], RTOL_D, ATOL_D);
  return check_report();
}
