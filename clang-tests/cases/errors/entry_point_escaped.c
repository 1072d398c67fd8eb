// The address of an entry point kept in a table: ferment lowers direct calls only, so this is a
// compile error at a use of the table (never a link error on __enzyme_autodiff).
// EXPECT-ERROR: entry_point_escaped.c:14:
// EXPECT-ERROR: address of Enzyme entry point '__enzyme_autodiff' is stored in the global 'table'
// EXPECT-ERROR: call the entry point directly
#include "check.h"
double __enzyme_autodiff(void *, double);
typedef double (*grad_t)(void *, double);
grad_t table[1] = {__enzyme_autodiff};
static double sq(double x) { return x * x; }

int main(int argc, char **argv) {
  (void)argv;
  double d = table[argc - 1]((void *)sq, 3.0);
  CHECK_CLOSE("d", d, 6.0, RTOL_D, ATOL_D);
  return check_report();
}
