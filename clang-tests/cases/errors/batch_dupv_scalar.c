// enzyme_dupv (a byte stride between the lanes' shadows) applies to pointer parameters; on a
// scalar parameter it is an error naming the parameter and saying how to pass its tangents.
// EXPECT-ERROR: enzyme_dupv: parameter 1 of 'g' is a double, not a pointer
// EXPECT-ERROR: pass the 3 tangents of a scalar one by one after its value
#include "check.h"
extern int enzyme_width, enzyme_dupv;
typedef struct { double d[3]; } D3;
D3 __enzyme_fwddiff(void *, ...);
static double g(double a, double b) { return a * a * b; }
int main(void) {
  double ta[3] = {1, 0, 2};
  D3 r = __enzyme_fwddiff((void *)g, enzyme_width, 3, enzyme_dupv, sizeof(double), 0.7, ta, 1.5, 0.0, 1.0, 1.0);
  printf("%g\n", r.d[0]);
  return 0;
}
