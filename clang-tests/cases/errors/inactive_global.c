// Enzyme annotations ferment does not implement yet are errors that say so, never ignored.
// EXPECT-ERROR: __enzyme_inactive_global_scale
// EXPECT-ERROR: not supported by ferment yet
// EXPECT-ERROR: unknown Enzyme annotation "enzyme_mystery"
#include "check.h"

double __enzyme_autodiff(void *, ...);
double scale = 2.0;
void *__enzyme_inactive_global_scale[1] = {(void *)&scale};
__attribute__((annotate("enzyme_mystery"))) double h(double x) { return x + 1.0; }
static double f(double x) { return scale * x * h(x); }

int main(void) {
  printf("%f\n", __enzyme_autodiff((void *)f, 1.5));
  return 0;
}
