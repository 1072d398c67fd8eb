// __enzyme_reverse of a function whose augmented forward pass runs a split forward rule
// (__enzyme_register_splitderivative, no registered gradient) because the file also asks a
// __enzyme_fwdsplit of it: the reverse sweep has no rule for that call, so it is a compile error
// at the __enzyme_reverse call naming both functions.
// CFLAGS: -g
// EXPECT-ERROR: split_rule_reverse_inside.c:23
// EXPECT-ERROR: runs the split forward rule of 'tw'
#include "check.h"
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_fwdsplit(void *, ...);
double __enzyme_reverse(void *, ...);
__attribute__((noinline)) double tw(double x) { return 2 * x; }
void *tw_aug(double x) { (void)x; return 0; }
typedef struct { double p, t; } PT;
PT tw_fwd(double x, double dx, void *tape) { (void)tape; PT r = {2 * x, 2 * dx}; return r; }
void *__enzyme_register_splitderivative_tw[3] = {(void *)tw, (void *)tw_aug, (void *)tw_fwd};
static double f(double x) { return tw(x) * x; }

int main(void) {
  void *tape = __enzyme_augmentfwd((void *)f, 1.5);
  double t = __enzyme_fwdsplit((void *)f, 1.5, 1.0, tape);
  tape = __enzyme_augmentfwd((void *)f, 1.5);
  double d = __enzyme_reverse((void *)f, 1.5, 1.0, tape);
  CHECK_CLOSE("unreachable", t + d, 0, 0, 0);
  return check_report();
}
