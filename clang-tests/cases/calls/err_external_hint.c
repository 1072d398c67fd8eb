// The error for an external function without definition must name the fix (issue 7): register a
// custom derivative for it, or mark it inactive. This case requires the custom-gradient
// registration to be suggested (err_external.c checks the name, location and the inactive hint).
// EXPECT-ERROR: ext_solve3
// EXPECT-ERROR: err_external_hint.c:12:
// EXPECT-ERROR: __enzyme_register_gradient
#include "check.h"

double __enzyme_autodiff(void *, ...);
extern double ext_solve3(double);

double f(double x) { return ext_solve3(x) * x; } /* line 12 */

int main(void) {
  double d = __enzyme_autodiff((void *)f, 1.5);
  printf("%f\n", d);
  return 0;
}
