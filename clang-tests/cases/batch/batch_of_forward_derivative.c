// __enzyme_batch of a function whose body is itself a forward derivative (__enzyme_fwddiff of
// a defined function inside the batched function): every vector operand reaches the inner
// derivative lane by lane, with the coefficient batched (enzyme_vector, one per lane) or shared
// (enzyme_scalar). Also the batched primal. Oracle: the analytic derivative of k x^3 + k x.
#include "check.h"
typedef struct { double a, b; } two;
extern two __enzyme_batch(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_width, enzyme_vector, enzyme_scalar;
static double cubic(double k, double x) { return k * x * x * x + x * k; }
static double slope(double k, double x) { return __enzyme_fwddiff((void *)cubic, k, 0.0, x, 1.0); }
int main(void) {
  double k = 1.5, x0 = -0.5, x1 = 2.5, k1 = 0.75;
  two p = __enzyme_batch((void *)cubic, enzyme_width, 2, enzyme_scalar, k, enzyme_vector, x0, x1);
  two v = __enzyme_batch((void *)slope, enzyme_width, 2, enzyme_vector, k, k1, enzyme_vector, x0, x1);
  two s = __enzyme_batch((void *)slope, enzyme_width, 2, enzyme_scalar, k, enzyme_vector, x0, x1);
  CHECK_CLOSE("p0", p.a, cubic(k, x0), RTOL_D, 0);
  CHECK_CLOSE("p1", p.b, cubic(k, x1), RTOL_D, 0);
  CHECK_CLOSE("v0", v.a, 3 * k * x0 * x0 + k, RTOL_D, 0);
  CHECK_CLOSE("v1", v.b, 3 * k1 * x1 * x1 + k1, RTOL_D, 0);
  CHECK_CLOSE("s0", s.a, 3 * k * x0 * x0 + k, RTOL_D, 0);
  CHECK_CLOSE("s1", s.b, 3 * k * x1 * x1 + k, RTOL_D, 0);
  return check_report();
}
