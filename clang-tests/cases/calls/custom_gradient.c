// User-registered gradients (Enzyme's __enzyme_register_gradient_NAME convention), each rule
// DELIBERATELY different from the true derivative so the test proves the rule is used instead of
// the body (which ferment would otherwise inline and differentiate; nothing here is noinline:
// the plugin itself must keep these calls from clang's inliner):
// - sq(x) = x^2: the augmented forward returns the primal (no tape), the reverse returns 100 d
//   (true: 2 x d);
// - cube(x) = x^3: the augmented forward returns {tape, primal} with a malloc'd tape holding 5x,
//   the reverse reads it (d * 5x; true: 3 x^2 d), frees it and counts its calls.
// Expected values follow by the chain rule with the custom rules. clang only: under `opt`, clang
// has already inlined sq and cube before the plugin runs (custom_gradient_ptr.c covers opt).
#include "check.h"

double __enzyme_autodiff(void *, ...);

double sq(double x) { return x * x; }
static double aug_sq(double x) { return x * x; }
static double rev_sq(double x, double d) {
  (void)x;
  return 100.0 * d;
}
void *__enzyme_register_gradient_sq[3] = {(void *)sq, (void *)aug_sq, (void *)rev_sq};

double cube(double x) { return x * x * x; }
typedef struct {
  void *tape;
  double primal;
} CubeAug;
static int cube_rev_calls = 0;
static CubeAug aug_cube(double x) {
  double *t = (double *)malloc(sizeof(double));
  *t = 5.0 * x;
  CubeAug r = {t, x * x * x};
  return r;
}
static double rev_cube(double x, double d, void *tape) {
  (void)x;
  double g = d * *(double *)tape;
  free(tape);
  cube_rev_calls++;
  return g;
}
void *__enzyme_register_gradient_cube[3] = {(void *)cube, (void *)aug_cube, (void *)rev_cube};

/* f = sin(sq(x)) + 3 sq(x + 1) + cube(x) sq(x) */
double f(double x) { return sin(sq(x)) + 3.0 * sq(x + 1.0) + cube(x) * sq(x); }
/* sq(2x) x: with the custom rule, d/dx = 100 * 2 * x + sq(2x) */
double sq_user(double x) { return sq(2.0 * x) * x; }
/* with the custom rules: d sq = 100, d cube = 5x */
static double f_custom(double x) {
  return cos(x * x) * 100.0 + 300.0 + 5.0 * x * (x * x) + x * x * x * 100.0;
}

int main(void) {
  static const double xs[] = {-1.3, 0.2, 0.8, 1.6};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    cube_rev_calls = 0;
    CHECK_CLOSE_AT("reverse f with the custom rules of sq and cube", x, __enzyme_autodiff((void *)f, x), f_custom(x), RTOL_D, ATOL_D);
    CHECK_TRUE("the custom reverse of cube ran once", cube_rev_calls == 1);
    CHECK_CLOSE_AT("reverse of a function calling sq", x, __enzyme_autodiff((void *)sq_user, x), 200.0 * x + 4.0 * x * x, RTOL_D, ATOL_D);
  }
  return check_report();
}
