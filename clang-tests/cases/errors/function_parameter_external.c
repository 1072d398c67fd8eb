// The function to differentiate is a parameter of a helper with external linkage: another file
// may call the helper with other functions, so ferment does not fill it in (it does for static
// helpers and template instances, cpp/function_parameter_helpers.cpp). At -O0 nothing inlines
// the helper: the request is an error naming the argument, at its line.
// CFLAGS: -O0
// EXPECT-ERROR: function_parameter_external.c:12
// EXPECT-ERROR: the first argument must be a function
#include "check.h"
double __enzyme_fwddiff(void *, ...);
static double square(double x) { return x * x; }
__attribute__((noinline)) double slope_at(double (*f)(double), double x) {
  return __enzyme_fwddiff((void *)f, x, 1.0);
}
int main(void) {
  printf("%g\n", slope_at(square, 1.5));
  return 0;
}
