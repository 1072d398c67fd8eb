// A call through a function pointer loaded from a mutable table: which function runs is not
// known at compile time, so it is an error with a hint, not a wrong derivative.
// EXPECT-ERROR: cannot differentiate an indirect call
// EXPECT-ERROR: enzyme_const
#include "check.h"

double __enzyme_autodiff(void *, ...);
extern int enzyme_const;
__attribute__((noinline)) static double sq(double x) { return x * x; }
__attribute__((noinline)) static double cube(double x) { return x * x * x; }
typedef double (*fn)(double);
fn table[2] = {sq, cube};
static double pick(int k, double x) { return table[k](x); }
int main(void) {
  printf("%f\n", __enzyme_autodiff((void *)pick, enzyme_const, 1, 2.0));
  return 0;
}
