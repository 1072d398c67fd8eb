// Enzyme annotations ferment does not implement yet are errors that say so, never ignored.
// EXPECT-ERROR: __enzyme_register_splitderivative_f
// EXPECT-ERROR: not supported by ferment yet
// EXPECT-ERROR: unknown Enzyme annotation "enzyme_mystery"
#include "check.h"

double __enzyme_autodiff(void *, ...);
double scale = 2.0;
__attribute__((annotate("enzyme_mystery"))) double h(double x) { return x + 1.0; }
static double f(double x) { return scale * x * h(x); }
static double aug(double x) { return x; }
static double fwd(double x, double dx) { return dx; }
void *__enzyme_register_splitderivative_f[3] = {(void *)f, (void *)aug, (void *)fwd};

int main(void) {
  printf("%f\n", __enzyme_autodiff((void *)f, 1.5));
  return 0;
}
