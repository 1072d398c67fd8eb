// A loop bound that makes the loop run zero times (last index -1 or below) with null primal and
// null shadow arguments, then one and six iterations on heap arrays: the derivative must touch
// no memory when the loop does not run. Oracle: the analytic derivative of a^2/2 + a, times the
// seed already in the shadow.
#include "check.h"
#include <stdlib.h>
void __enzyme_autodiff(void *, ...);
void sq_upto(double *a, int last) { for (int i = 0; i <= last; i++) a[i] = a[i] * a[i] * 0.5 + a[i]; }
int main(void) {
  __enzyme_autodiff((void *)sq_upto, (double *)0, (double *)0, -1);
  __enzyme_autodiff((void *)sq_upto, (double *)0, (double *)0, -7);
  double *a = malloc(6 * sizeof(double)), *da = malloc(6 * sizeof(double));
  for (int i = 0; i < 6; i++) { a[i] = 0.5 * i - 1; da[i] = 1.0 + i; }
  double a0[6]; for (int i = 0; i < 6; i++) a0[i] = a[i];
  __enzyme_autodiff((void *)sq_upto, a, da, 5);
  for (int i = 0; i < 6; i++) CHECK_CLOSE("d", da[i], (1.0 + i) * (a0[i] + 1), RTOL_D, 0);
  free(a); free(da);
  return check_report();
}
