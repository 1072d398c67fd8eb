// A call through a function pointer loaded from a mutable table: which function runs is only
// known at run time, so ferment dispatches over the table's candidates (functions of this file
// with their address taken and the call's type), non-inlined ones included, and the table may
// change between calls. Oracles: analytic derivatives, reverse and forward.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_const;
__attribute__((noinline)) static double sq(double x) { return x * x; }
__attribute__((noinline)) static double cube(double x) { return x * x * x; }
__attribute__((noinline)) static double expo(double x) { return exp(2 * x); }
typedef double (*fn)(double);
fn table[2] = {sq, cube};
static double pick(int k, double x) { return table[k](x) * table[1 - k](x); }
int main(void) {
  double x = 1.3;
  for (int round = 0; round < 2; round++) {
    for (int k = 0; k < 2; k++) {
      // round 0: sq * cube = x^5; round 1: expo * cube = x^3 e^{2x}
      double want = round == 0 ? 5 * pow(x, 4) : (3 * x * x + 2 * x * x * x) * exp(2 * x);
      CHECK_CLOSE_AT("reverse through a table", k, __enzyme_autodiff((void *)pick, enzyme_const, k, x),
                     want, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT("forward through a table", k,
                     __enzyme_fwddiff((void *)pick, enzyme_const, k, x, 1.0), want, RTOL_D, ATOL_D);
    }
    table[0] = expo;
  }
  return check_report();
}
