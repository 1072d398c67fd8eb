// Custom gradients in the shapes Enzyme accepts for a scalar function whose result is active:
// - the augmented forward returns nothing (no tape, no primal: the primal function runs for the
//   value) and the reverse takes (x, d_ret);
// - the augmented forward returns only a tape (void*) and the reverse takes (x, d_ret, tape);
//   the tape carries 1/sqrt(x) from the forward sweep and the reverse frees it;
// - a float rule called with a double argument (an implicit conversion on each side).
// The rules are deliberately scaled copies (factor 2 for rsqrt2) so that using the body instead
// of the rule would show. Oracle: the analytic derivative of what each rule says.
#include "check.h"

void __enzyme_autodiff(void *, ...);

static int aug_calls = 0;
double rsqrt1(double x) { return 1.0 / sqrt(x); }
void aug_rsqrt1(double x) {
  (void)x;
  aug_calls++;
}
double rev_rsqrt1(double x, double g) { return -0.5 * g * rsqrt1(x) / x; }
void *__enzyme_register_gradient_rsqrt1[3] = {(void *)rsqrt1, (void *)aug_rsqrt1,
                                              (void *)rev_rsqrt1};

double rsqrt2(double x) { return 1.0 / sqrt(x); }
void *aug_rsqrt2(double x) {
  double *t = (double *)malloc(sizeof(double));
  *t = 1.0 / sqrt(x);
  return t;
}
double rev_rsqrt2(double x, double g, void *tape) {
  double r = *(double *)tape;
  free(tape);
  return 2.0 * (-0.5) * g * r / x; /* twice the true derivative: the rule, not the body */
}
void *__enzyme_register_gradient_rsqrt2[3] = {(void *)rsqrt2, (void *)aug_rsqrt2,
                                              (void *)rev_rsqrt2};

float rsqrtf1(float x) { return 1.0f / sqrtf(x); }
void aug_rsqrtf1(float x) { (void)x; }
float rev_rsqrtf1(float x, float g) { return -0.5f * g * rsqrtf1(x) / x; }
void *__enzyme_register_gradient_rsqrtf1[3] = {(void *)rsqrtf1, (void *)aug_rsqrtf1,
                                               (void *)rev_rsqrtf1};

double f(const double *a) { return rsqrt1(a[0]) * a[1] + rsqrt2(a[1]) + rsqrtf1(a[2]); }

int main(void) {
  double a[3] = {4.0, 2.25, 1.69}, da[3] = {0};
  __enzyme_autodiff((void *)f, a, da);
  double want0 = -0.5 * a[1] / (a[0] * sqrt(a[0]));
  double want1 = 1.0 / sqrt(a[0]) + 2.0 * (-0.5) / (a[1] * sqrt(a[1]));
  double want2 = -0.5 / (a[2] * sqrt(a[2]));
  CHECK_CLOSE("rule without tape", da[0], want0, RTOL_D, ATOL_D);
  CHECK_CLOSE("rule with a tape pointer", da[1], want1, RTOL_D, ATOL_D);
  CHECK_CLOSE("float rule with double argument", da[2], want2, RTOL_F, ATOL_F);
  CHECK_TRUE("the augmented forward ran once", aug_calls == 1);
  return check_report();
}
