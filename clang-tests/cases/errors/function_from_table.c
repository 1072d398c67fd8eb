// The function to differentiate chosen at run time from a table of function pointers: ferment
// (like Enzyme) differentiates a function it can name at compile time, so this is a compile error
// at the call that says how to write it instead.
// EXPECT-ERROR: function_from_table.c:17:
// EXPECT-ERROR: the first argument must be a function
// EXPECT-ERROR: make one call per function
#include "check.h"
double __enzyme_autodiff(void *, double);
static double f(double x) { return x * x; }
static double g(double x) { return sin(x); }

int main(int argc, char **argv) {
  (void)argv;
  double (*fs[2])(double) = {f, g};
  double want[2] = {1.0, cos(0.5)};
  int k = (argc - 1) % 2;
  CHECK_CLOSE("d", __enzyme_autodiff((void *)fs[k], 0.5), want[k], RTOL_D, ATOL_D);
  return check_report();
}
