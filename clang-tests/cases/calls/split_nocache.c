// `enzyme_nocache` before an argument of a split-mode request (Enzyme's promise that the
// argument's memory is not overwritten between the two sweeps): accepted, and the derivative is
// the same as without it. y = x0^2 x1 + sin(x1), the adjoint of y seeded with w.
// Oracle: the analytic derivative.
#include "check.h"

extern int enzyme_dup, enzyme_const, enzyme_nocache;
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

static void f(const double *x, double *y, double scale) { *y = scale * (x[0] * x[0] * x[1] + sin(x[1])); }

int main(void) {
  double x[2] = {1.3, -0.7}, dx[2] = {0}, y = 0, dy = 0;
  void *tape = __enzyme_augmentfwd((void *)f, enzyme_nocache, enzyme_dup, x, dx, enzyme_nocache, &y, &dy,
                                   enzyme_nocache, enzyme_const, 2.0);
  CHECK_CLOSE("primal", y, 2.0 * (x[0] * x[0] * x[1] + sin(x[1])), RTOL_D, ATOL_D);
  dy = 0.5;
  __enzyme_reverse((void *)f, enzyme_nocache, enzyme_dup, x, dx, enzyme_nocache, &y, &dy,
                   enzyme_nocache, enzyme_const, 2.0, tape);
  CHECK_CLOSE("dx0", dx[0], 0.5 * 2.0 * 2 * x[0] * x[1], RTOL_D, ATOL_D);
  CHECK_CLOSE("dx1", dx[1], 0.5 * 2.0 * (x[0] * x[0] + cos(x[1])), RTOL_D, ATOL_D);
  return check_report();
}
