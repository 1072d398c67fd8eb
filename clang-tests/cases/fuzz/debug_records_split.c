// Regression (fuzzer, seed 104864, reduced by hand): with -g, split mode of this function crashed
// the compiler at every -O level (a debug record left dangling in the augmented forward
// function). The result is 2 t0 with t0 a table constant on both branches (the atan chain is
// overwritten), so every derivative is 0; the primal comes back from the augmented call.
// CFLAGS: -g
#include "check.h"

void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);
typedef struct { void *tape; double primal; } Aug;
Aug __enzyme_augmentfwd_p(void *, ...);
typedef struct { double d1, d2, d0; } G;
G __enzyme_reverse_g(void *, ...);
extern int enzyme_const;

static const double tbl[8] = {0.5, -0.25, 1.5, 0.75, -1.0, 0.125, 2.0, -0.5};
double f(double s1, double s2, int n, double s0) {
  double t0 = s2;
  if (tbl[1] < sin(exp2(s1))) {
    t0 = atan(sinh((0.841 / hypot(1.0, s2))));
    t0 = tbl[2];
  } else {
    t0 = tbl[0];
  }
  for (int i1 = 0; i1 < n; i1++) {
  }
  double r = t0 + t0 + 0.0 * s0;
  return r;
}

int main(void) {
  static const double xs[][3] = {{-0.616, -1.036, 1.332}, {2.0, 0.3, -0.7}};
  for (unsigned k = 0; k < COUNT_OF(xs); k++) {
    const double *x = xs[k];
    Aug a = __enzyme_augmentfwd_p((void *)f, x[0], x[1], enzyme_const, 3, x[2]);
    CHECK_CLOSE("primal from the augmented call", a.primal, f(x[0], x[1], 3, x[2]), RTOL_D, ATOL_D);
    G g = __enzyme_reverse_g((void *)f, x[0], x[1], enzyme_const, 3, x[2], 1.0, a.tape);
    CHECK_CLOSE("d/ds1", g.d1, 0.0, RTOL_D, ATOL_D);
    CHECK_CLOSE("d/ds2", g.d2, 0.0, RTOL_D, ATOL_D);
    CHECK_CLOSE("d/ds0", g.d0, 0.0, RTOL_D, ATOL_D);
  }
  return check_report();
}
