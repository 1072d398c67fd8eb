// Enzyme annotations ferment does not understand are errors that say so, never ignored.
// EXPECT-ERROR: unknown Enzyme annotation "enzyme_mystery"
#include "check.h"

double __enzyme_autodiff(void *, ...);
double scale = 2.0;
__attribute__((annotate("enzyme_mystery"))) double h(double x) { return x + 1.0; }
static double f(double x) { return scale * x * h(x); }

int main(void) {
  printf("%f\n", __enzyme_autodiff((void *)f, 1.5));
  return 0;
}
