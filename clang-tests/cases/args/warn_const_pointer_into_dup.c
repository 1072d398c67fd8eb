// EXPECT-WARNING: mismatched activity: stores a pointer without derivative memory
// A pointer passed enzyme_const stored into memory passed enzyme_dup (Enzyme's
// warn_mixed_activity shape): the shadow structure receives the constant pointer itself, so the
// plugin warns at compile time (Enzyme warns about the same store). The derivative is still
// exact. Oracle: the analytic gradient of w * q[0] * q[1] in w (q constant).
#include "check.h"

extern int enzyme_const, enzyme_dup;
void __enzyme_autodiff(void *, ...);

struct Container {
  double *data;
  double w;
  double out;
};

void attach(struct Container *c, double *q) {
  c->data = q;
  c->out = c->w * q[0] * q[1];
}

int main(void) {
  double q[2] = {1.5, -0.75};
  struct Container c = {0, 2.0, 0.0}, dc = {0, 0.0, 1.0};
  __enzyme_autodiff((void *)attach, enzyme_dup, &c, &dc, enzyme_const, q);
  CHECK_TRUE("primal stored", c.data == q);
  CHECK_CLOSE("primal value", c.out, 2.0 * 1.5 * -0.75, RTOL_D, ATOL_D);
  CHECK_CLOSE("d out / d w", dc.w, 1.5 * -0.75, RTOL_D, ATOL_D);
  CHECK_CLOSE("seed consumed", dc.out, 0.0, 0, 0);
  // what the warning says: the shadow holds the constant pointer itself
  CHECK_TRUE("shadow of the stored constant pointer", dc.data == q);
  return check_report();
}
