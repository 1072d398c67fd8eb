// The fast inverse square root: the bits of x are reinterpreted as an integer and turned into an
// initial guess by integer arithmetic (K - (i >> 1)); that guess carries no derivative (as in
// Enzyme), the Newton steps in floating point do. Oracle: a hand-written tangent of the Newton
// steps with a constant initial guess, and x^-1/2's analytic derivative after enough steps.
#include "check.h"
#include <string.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
float __enzyme_autodiff_f(void *, float);

static double guess(double x) {
  long i;
  memcpy(&i, &x, sizeof i);
  i = 0x5fe6eb50c7b537a9L - (i >> 1);
  double y;
  memcpy(&y, &i, sizeof y);
  return y;
}

static double fisr(double x) {
  double y = x;
  double x2 = x * 0.5;
  long i = *(long *)&y;
  i = 0x5fe6eb50c7b537a9L - (i >> 1);
  y = *(double *)&i;
  for (int k = 0; k < 4; k++) y = y * (1.5 - x2 * y * y);
  return y;
}

static float fisrf(float x) {
  float y = x;
  float x2 = x * 0.5f;
  int i = *(int *)&y;
  i = 0x5f3759df - (i >> 1);
  y = *(float *)&i;
  y = y * (1.5f - x2 * y * y);
  y = y * (1.5f - x2 * y * y);
  return y;
}

// d/dx of the Newton iteration with y0 constant.
static double newton_tangent(double x, int steps) {
  double y = guess(x), dy = 0.0;
  for (int k = 0; k < steps; k++) {
    double x2 = 0.5 * x, dx2 = 0.5;
    double t = 1.5 - x2 * y * y;
    double dt = -(dx2 * y * y + 2.0 * x2 * y * dy);
    double ny = y * t, dny = dy * t + y * dt;
    y = ny;
    dy = dny;
  }
  return dy;
}

int main(void) {
  static const double xs[] = {0.3, 1.0, 2.0, 17.5, 1234.0};
  char what[128];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
#define W(s) (snprintf(what, sizeof what, "%s at %g", s, x), what)
    double want = newton_tangent(x, 4);
    CHECK_CLOSE(W("oracle: Newton tangent vs d(x^-1/2)/dx"), want, -0.5 * pow(x, -1.5), 1e-6, 0.0);
    CHECK_CLOSE(W("reverse fisr"), __enzyme_autodiff((void *)fisr, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward fisr"), __enzyme_fwddiff((void *)fisr, x, 1.0), want, RTOL_D, ATOL_D);
    float xf = (float)x;
    CHECK_CLOSE(W("reverse float fisrf vs d(x^-1/2)/dx"), __enzyme_autodiff_f((void *)fisrf, xf),
                -0.5 * pow(xf, -1.5), 1e-3, 0.0);
#undef W
  }
  return check_report();
}
