// A function with a split forward rule (__enzyme_register_splitderivative) called inside a
// function differentiated with __enzyme_fwdsplit: its tape would have to travel in the outer
// tape, which ferment does not do yet, so it is a compile error naming the call at its file:line
// (never the derivative of its body instead of the user's rule).
// CFLAGS: -g
// EXPECT-ERROR: fwdsplit_split_rule_inside.c:21
// EXPECT-ERROR: the call of 'add', which has a split forward rule
#include "check.h"
#include <stdlib.h>
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_fwdsplit(void *, ...);

__attribute__((noinline)) double add(double x, double y) { return x + y; }
typedef struct { void *tape; double primal; } TD;
TD add_aug(double x, double y) { TD r = {0, x + y}; return r; }
typedef struct { double primal, tangent; } PT;
PT add_err(double x, double dx, double y, double dy, void *tape) { PT r = {x + y, fabs(dx) + fabs(dy)}; (void)tape; return r; }
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
