// A memcpy of a struct whose array field is filled through a variable index (found by the
// fuzzer): type analysis knows the field's first element only; the other element slots are taken
// as floats of the same kind, so every element's adjoint moves. Oracle: analytic, 4 x[i].
#include "check.h"
#include <string.h>

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
