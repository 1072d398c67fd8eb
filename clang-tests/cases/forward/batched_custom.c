// Batched forward mode through a callee with a user-registered forward derivative (scalar, so
// called once per lane): the rule is DELIBERATELY wrong, as in calls/custom_forward.c, so the
// test proves it is used (dsq(x, dx) = 100 dx). Widths 2 and 5, and mutually recursive functions
// reaching the rule (calls that stay calls). Each lane checked against the analytic value that
// rule implies, and against the scalar forward mode along the lane's direction.
// CFLAGS: -mllvm -ferment-no-inline
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

/* Mutual recursion down to the rule: dg/dx by the rule's chain, lane k along t[k]. */
double g(double x, int n);
__attribute__((noinline)) double h(double x, int n) { return n <= 0 ? sq(x) : sin(g(x, n - 1)); }
__attribute__((noinline)) double g(double x, int n) { return n <= 0 ? x : h(1.1 * x, n - 1) * x; }
/* The same with the rule's derivative written out: returns h and its tangent along dx. */
static double g_tan(double x, double dx, int n, double *t);
static double h_tan(double x, double dx, int n, double *t) {
  if (n <= 0) {
    *t = 100.0 * dx;
    return x * x;
  }
  double tg, v = g_tan(x, dx, n - 1, &tg);
  *t = cos(v) * tg;
  return sin(v);
}
static double g_tan(double x, double dx, int n, double *t) {
  if (n <= 0) {
    *t = dx;
    return x;
  }
  double th, v = h_tan(1.1 * x, 1.1 * dx, n - 1, &th);
  *t = th * x + v * dx;
  return v * x;
}

int main(void) {
  {
    double x = 0.7, t[5] = {1.0, -2.0, 0.5, 3.0, 0.25}, want;
    R5 r = __enzyme_fwddiff_r5((void *)g, enzyme_width, 5, x, t[0], t[1], t[2], t[3], t[4], 5);
    for (int k = 0; k < 5; k++) {
      g_tan(x, t[k], 5, &want);
      CHECK_CLOSE("mutual recursion lane (the rule's chain)", r.d[k], want, RTOL_D, ATOL_D);
      CHECK_CLOSE("mutual recursion lane vs scalar forward", r.d[k], __enzyme_fwddiff((void *)g, x, t[k], 5), RTOL_D,
                  ATOL_D);
    }
  }
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
