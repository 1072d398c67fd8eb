// A custom gradient whose augmented forward function takes the wrong arguments (a pointer where
// the function has a double, and one parameter too many): compiling must fail cleanly, naming
// the augmented function, instead of emitting an invalid call (verifier failure or crash).
// EXPECT-ERROR: aug_sq
// EXPECT-ERROR: err_custom_aug_signature.c:20:
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);

__attribute__((noinline)) double sq(double x) { return x * x; }
static double aug_sq(double *x, double y) { return *x * y; }
static double rev_sq(double x, double d) {
  (void)x;
  return 100.0 * d;
}
void *__enzyme_register_gradient_sq[3] = {(void *)sq, (void *)aug_sq, (void *)rev_sq};

double f(double x) {
  return sin(sq(x)); /* line 20: the call using the custom rule */
}

int main(void) {
  double d = __enzyme_autodiff((void *)f, 1.5);
  printf("%f\n", d);
  return 0;
}
