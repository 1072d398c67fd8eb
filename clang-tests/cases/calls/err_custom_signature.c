// A custom gradient whose reverse function has the wrong number of parameters (an extra int):
// compiling must fail cleanly, naming the reverse function and the call site, instead of
// emitting a call with mismatched arguments.
// EXPECT-ERROR: rev_sq
// EXPECT-ERROR: err_custom_signature.c:21:
// EXPECT-ERROR: parameters
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);

__attribute__((noinline)) double sq(double x) { return x * x; }
static double aug_sq(double x) { return x * x; }
static double rev_sq(double x, double d, void *tape, int extra) {
  (void)tape;
  return 2.0 * x * d * extra;
}
void *__enzyme_register_gradient_sq[3] = {(void *)sq, (void *)aug_sq, (void *)rev_sq};

double f(double x) {
  return sin(sq(x)); /* line 21: the call using the custom rule */
}

int main(void) {
  double d = __enzyme_autodiff((void *)f, 1.5);
  printf("%f\n", d);
  return 0;
}
