// Batched forward mode falls back to computing the lanes one after the other where the vector
// generator does not apply yet: here a callee with a user-registered forward derivative
// (DELIBERATELY wrong, as in calls/custom_forward.c, so the test proves the rule is used:
// dsq(x, dx) = 100 dx). Widths 2 and 5; each lane checked against the analytic value that rule
// implies, and against the scalar forward mode along the lane's direction.
#include "check.h"

extern int enzyme_width;
typedef struct { double d[2]; } R2;
typedef struct { double d[5]; } R5;
R2 __enzyme_fwddiff_r2(void *, ...);
R5 __enzyme_fwddiff_r5(void *, ...);
double __enzyme_fwddiff(void *, ...);

double sq(double x) { return x * x; }
static double dsq(double x, double dx) {
  (void)x;
  return 100.0 * dx;
}
void *__enzyme_register_derivative_sq[2] = {(void *)sq, (void *)dsq};

/* f(x, y) = exp(y) sq(x) + y; with the rule: df = exp(y) 100 dx + (exp(y) x^2 + 1) dy */
double f(double x, double y) { return exp(y) * sq(x) + y; }

int main(void) {
  double x = 0.7, y = -0.3;
  double dx[5] = {1, 0, 0.5, -2, 3}, dy[5] = {0, 1, 0.25, 1, -0.5};
  R2 r2 = __enzyme_fwddiff_r2((void *)f, enzyme_width, 2, x, dx[0], dx[1], y, dy[0], dy[1]);
  R5 r5 = __enzyme_fwddiff_r5((void *)f, enzyme_width, 5, x, dx[0], dx[1], dx[2], dx[3], dx[4], y, dy[0],
                              dy[1], dy[2], dy[3], dy[4]);
  for (int k = 0; k < 5; k++) {
    double want = exp(y) * 100.0 * dx[k] + (exp(y) * x * x + 1.0) * dy[k];
    double scalar = __enzyme_fwddiff((void *)f, x, dx[k], y, dy[k]);
    char msg[64];
    snprintf(msg, sizeof msg, "width 5 lane %d (the rule's value)", k);
    CHECK_CLOSE(msg, r5.d[k], want, RTOL_D, ATOL_D);
    CHECK_CLOSE("width 5 lane vs scalar forward", r5.d[k], scalar, RTOL_D, ATOL_D);
    if (k < 2) CHECK_CLOSE("width 2 lane (the rule's value)", r2.d[k], want, RTOL_D, ATOL_D);
  }
  return check_report();
}
