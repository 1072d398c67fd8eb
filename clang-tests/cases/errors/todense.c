// Enzyme's sparse derivatives (`__enzyme_todense`, `-enzyme-auto-sparsity`) are not implemented:
// the call is a compile error naming it, not an undefined symbol at link time.
// EXPECT-ERROR: unknown Enzyme entry point '__enzyme_todense'
// EXPECT-ERROR: todense.c:14:
#include "check.h"

double *__enzyme_todense(void *, void *, ...);

static double ld(double *p, long i) { return p[i]; }
static void st(double *p, long i, double v) { p[i] = v; }

int main(void) {
  double a[4] = {1, 2, 3, 4};
  double *dense = __enzyme_todense((void *)ld, (void *)st, a);
  printf("%p\n", (void *)dense);
  return 0;
}
