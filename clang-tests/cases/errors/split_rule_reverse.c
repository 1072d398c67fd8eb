// __enzyme_reverse of a function that has a split forward rule (__enzyme_register_splitderivative)
// but no registered gradient: the tape of the user's augmented forward function is made for the
// split forward function, so this is a compile error saying to register a gradient.
// CFLAGS: -g
// EXPECT-ERROR: split_rule_reverse.c:22
// EXPECT-ERROR: has a split forward rule (__enzyme_register_splitderivative) but no registered gradient
#include "check.h"
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_reverse(void *, ...);
double __enzyme_fwdsplit(void *, ...);

__attribute__((noinline)) double twice(double x) { return 2 * x; }
void *twice_aug(double x) { (void)x; return 0; }
double twice_fwd(double x, double dx, void *tape) { (void)x; (void)tape; return 2 * dx; }
void *__enzyme_register_splitderivative_twice[3] = {(void *)twice, (void *)twice_aug,
                                                   (void *)twice_fwd};

int main(void) {
  void *tape = __enzyme_augmentfwd((void *)twice, 1.5);
  double t = __enzyme_fwdsplit((void *)twice, 1.5, 1.0, tape);
  tape = __enzyme_augmentfwd((void *)twice, 1.5);
  double d = __enzyme_reverse((void *)twice, 1.5, 1.0, tape);
  CHECK_CLOSE("unreachable", t + d, 0, 0, 0);
  return check_report();
}
