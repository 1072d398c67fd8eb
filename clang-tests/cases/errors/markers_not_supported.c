// Markers of Enzyme's interface that ferment does not implement are compile errors at the call,
// each named: `enzyme_interleave` (all primals, then the marker, then all shadows: MFEM's
// calling convention), `enzyme_strong_zero`, and the probabilistic-programming markers
// (`enzyme_trace`, `enzyme_likelihood`, ...).
// EXPECT-ERROR: marker 'enzyme_interleave' is not supported yet
// EXPECT-ERROR: marker 'enzyme_strong_zero' is not supported yet
// EXPECT-ERROR: marker 'enzyme_trace' is not supported yet
// EXPECT-ERROR: markers_not_supported.c:20:
#include "check.h"

extern int enzyme_dup, enzyme_interleave, enzyme_strong_zero, enzyme_trace;
void __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff(void *, ...);

static void f(double *a, double *b) { b[0] = 3.0 * a[0] * a[0]; }
static double g(double x) { return x * x; }

int main(void) {
  double a = 2.0, b = 0, da = 1.0, db = 0;
  __enzyme_fwddiff((void *)f, enzyme_dup, &a, &b, enzyme_interleave, &da, &db);
  double d1 = __enzyme_autodiff((void *)g, enzyme_strong_zero, 1.5);
  double d2 = __enzyme_autodiff((void *)g, enzyme_trace, (void *)0, 1.5);
  printf("%f %f %f\n", db, d1, d2);
  return 0;
}
