// User-registered forward derivatives (__enzyme_register_derivative_NAME = {f, df}): df takes the
// interleaved (value, tangent) arguments and returns the tangent of the result. The rules are
// DELIBERATELY wrong so the test proves they replace the body in forward mode:
// - sq(x) = x^2 with dsq(x, dx) = 100 dx (true: 2 x dx);
// - hyp(a, b) = sqrt(a^2 + b^2) with dhyp = 7 da - 3 db.
// None is noinline: the plugin must keep them as calls itself (clang only; under `opt`, clang
// has inlined them before the plugin runs). custom_forward_const.c: a rule called with a
// constant argument; custom_forward_ptr.c: a rule for a function of a pointer argument.
#include "check.h"

double __enzyme_fwddiff(void *, ...);

double sq(double x) { return x * x; }
static double dsq(double x, double dx) {
  (void)x;
  return 100.0 * dx;
}
void *__enzyme_register_derivative_sq[2] = {(void *)sq, (void *)dsq};

double hyp(double a, double b) { return sqrt(a * a + b * b); }
static double dhyp(double a, double da, double b, double db) {
  (void)a;
  (void)b;
  return 7.0 * da - 3.0 * db;
}
void *__enzyme_register_derivative_hyp[2] = {(void *)hyp, (void *)dhyp};

/* f(x, y) = sin(sq(x)) + hyp(x, y) sq(y) */
double f(double x, double y) { return sin(sq(x)) + hyp(x, y) * sq(y); }

int main(void) {
  static const double xs[] = {-1.1, 0.3, 1.4};
  static const double ys[] = {0.9, -0.6, 2.2};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i], y = ys[i];
#define W(s) (snprintf(what, sizeof what, "%s at (x, y) = (%g, %g)", s, x, y), what)
    /* tangent (dx, dy): cos(x^2) 100 dx + (7 dx - 3 dy) y^2 + hyp 100 dy */
    double dx = 1.0, dy = -0.5;
    double want = cos(x * x) * 100.0 * dx + (7.0 * dx - 3.0 * dy) * y * y + hyp(x, y) * 100.0 * dy;
    CHECK_CLOSE(W("forward f with the custom sq and hyp rules"), __enzyme_fwddiff((void *)f, x, dx, y, dy), want, RTOL_D, ATOL_D);
#undef W
  }
  return check_report();
}
