// A list of inactive functions that cannot be read (-enzyme-load-inactive-file naming a file
// that does not exist) stops the compile with an error naming the file and the option.
// CFLAGS: -mllvm -enzyme-load-inactive-file=@CASE_DIR@/no_such_inactive.list
// EXPECT-ERROR: cannot read the list of inactive functions
// EXPECT-ERROR: no_such_inactive.list
#include "check.h"

double __enzyme_autodiff(void *, ...);

static double sq(double x) { return x * x; }

int main(void) { return __enzyme_autodiff((void *)sq, 2.0) == 4.0 ? 0 : 1; }
