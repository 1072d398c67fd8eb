// __enzyme_function_like naming a function ferment has no rule for is an error naming both.
// EXPECT-ERROR: my_special
// EXPECT-ERROR: no derivative rule for "special_fn"
// EXPECT-ERROR: bad_function_like.c:
#include "check.h"

double __enzyme_autodiff(void *, ...);
__attribute__((noinline)) double my_special(double x) { return x * 3.0; }
void *__enzyme_function_like[2] = {(void *)my_special, (void *)"special_fn"};
static double f(double x) { return my_special(x) * x; }

int main(void) {
  printf("%f\n", __enzyme_autodiff((void *)f, 1.5));
  return 0;
}
