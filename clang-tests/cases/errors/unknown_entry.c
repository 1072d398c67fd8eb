// A call of an `__enzyme_*` function ferment does not know is a compile error at the call, not
// an undefined symbol at link time.
// EXPECT-ERROR: unknown Enzyme entry point '__enzyme_autodif'
// EXPECT-ERROR: unknown_entry.c:12:
#include "check.h"

double __enzyme_autodif(void *, ...); // misspelt
static double f(double x) { return x * x; }

int main(void) {
  double d = 0.0;
  d = __enzyme_autodif((void *)f, 1.5);
  printf("%f\n", d);
  return 0;
}
