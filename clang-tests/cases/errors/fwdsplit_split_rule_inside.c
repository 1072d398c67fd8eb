// A function with a split forward rule (__enzyme_register_splitderivative) called inside a
// function differentiated with __enzyme_fwdsplit, whose split forward function returns the
// tangent only while the call's result is used: the primal call would run on the inputs as they
// are at the fwdsplit, not as the augmented pass saw them, so it is a compile error naming the
// call at its file:line and saying to return {primal, tangent}.
// CFLAGS: -g
// EXPECT-ERROR: fwdsplit_split_rule_inside.c:21
// EXPECT-ERROR: returns the tangent only, and the call's result is used
#include "check.h"
#include <stdlib.h>
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_fwdsplit(void *, ...);

__attribute__((noinline)) double add(double x, double y) { return x + y; }
typedef struct { void *tape; double primal; } TD;
TD add_aug(double x, double y) { TD r = {0, x + y}; return r; }
double add_err(double x, double dx, double y, double dy, void *tape) { (void)x; (void)y; (void)tape; return fabs(dx) + fabs(dy); }
void *__enzyme_register_splitderivative_add[3] = {(void *)add, (void *)add_aug, (void *)add_err};

static double f(double x) {
  double c = add(x, x);
  return c * c;
}

int main(void) {
  void *tape = __enzyme_augmentfwd((void *)f, 1.5);
  double t = __enzyme_fwdsplit((void *)f, 1.5, 1.0, tape);
  CHECK_CLOSE("unreachable", t, 0, 0, 0);
  return check_report();
}
