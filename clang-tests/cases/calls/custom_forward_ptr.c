// A user-registered forward derivative for a function of a pointer argument:
// vnorm2(v, n) = sum v[i]^2 with dvnorm2(v, dv, n) = sum dv[i] (DELIBERATELY not the true
// sum 2 v[i] dv[i]); the pointer is followed by its tangent in the rule's arguments. The call's
// result depends on active memory only (no active scalar argument). Not noinline (clang only).
#include "check.h"

double __enzyme_fwddiff(void *, ...);

double vnorm2(const double *v, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += v[i] * v[i];
  return s;
}
static double dvnorm2(const double *v, const double *dv, int n) {
  (void)v;
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += dv[i];
  return s;
}
void *__enzyme_register_derivative_vnorm2[2] = {(void *)vnorm2, (void *)dvnorm2};

/* g(v) = vnorm2(v, 3) * v[0] + v[1]^2 */
double g(const double *v) { return vnorm2(v, 3) * v[0] + v[1] * v[1]; }

int main(void) {
  static const double xs[] = {-1.1, 0.3, 1.4};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    double v[3] = {x, 0.5 - x, 0.5 * x + 1.0}, t[3] = {0.25, -1.0, 2.0};
    /* tangent: (t0 + t1 + t2) v0 + vnorm2 t0 + 2 v1 t1 */
    double want = (t[0] + t[1] + t[2]) * v[0] + vnorm2(v, 3) * t[0] + 2.0 * v[1] * t[1];
    CHECK_CLOSE_AT("forward g with the custom vnorm2 rule", x, __enzyme_fwddiff((void *)g, v, t), want, RTOL_D, ATOL_D);
  }
  return check_report();
}
