// select: conditional expressions that LLVM turns into `select` (at -O1 and above), including a
// select between two active values, a select on a comparison of active values, and min/max idioms.
#include "check.h"

typedef struct { double dx, dy; } D2;
double __enzyme_autodiff(void *, ...);
D2 __enzyme_autodiff_d2(void *, double, double);
double __enzyme_fwddiff(void *, ...);
float __enzyme_autodiff_f32(void *, float);

static double pick(double x, double y) { return x > y ? x * x : 3.0 * y; }
static double clampish(double x) {
  double a = x < -1.0 ? -1.0 : x; // select with a constant arm
  double b = a > 2.0 ? 2.0 : a;
  return b * x;
}
static double absish(double x) { return (x < 0 ? -x : x) * sin(x); }
static float pickf(float x) { return x > 0.5f ? x * x : 2.0f * x; }

int main(void) {
  static const double xs[] = {-1.8, -0.4, 0.3, 1.4, 2.7};
  static const double ys[] = {0.2, -1.0, 1.1, 0.5, 3.5};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i], y = ys[i];
#define W(s) (snprintf(what, sizeof what, "%s at (x, y) = (%g, %g)", s, x, y), what)
    D2 w = {x > y ? 2.0 * x : 0.0, x > y ? 0.0 : 3.0};
    CHECK_CLOSE(W("oracle: pick d/dx vs finite differences"), w.dx, fd2(pick, x, y, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("oracle: pick d/dy vs finite differences"), w.dy, fd2(pick, x, y, 1), RTOL_FD, ATOL_FD);
    D2 r = __enzyme_autodiff_d2((void *)pick, x, y);
    CHECK_CLOSE(W("reverse pick d/dx"), r.dx, w.dx, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse pick d/dy"), r.dy, w.dy, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward pick"), __enzyme_fwddiff((void *)pick, x, 1.0, y, 2.0), w.dx + 2.0 * w.dy, RTOL_D, ATOL_D);

    double b = x < -1.0 ? -1.0 : (x > 2.0 ? 2.0 : x);
    double db = (x < -1.0 || x > 2.0) ? 0.0 : 1.0;
    double wc = db * x + b;
    CHECK_CLOSE(W("oracle: clampish vs finite differences"), wc, fd1(clampish, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("reverse clampish"), __enzyme_autodiff((void *)clampish, x), wc, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward clampish"), __enzyme_fwddiff((void *)clampish, x, 1.0), wc, RTOL_D, ATOL_D);

    double wa = (x < 0 ? -1.0 : 1.0) * sin(x) + fabs(x) * cos(x);
    CHECK_CLOSE(W("oracle: absish vs finite differences"), wa, fd1(absish, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("reverse absish"), __enzyme_autodiff((void *)absish, x), wa, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward absish"), __enzyme_fwddiff((void *)absish, x, 1.0), wa, RTOL_D, ATOL_D);

    float xf = (float)x;
    double wf = xf > 0.5f ? 2.0 * xf : 2.0;
    CHECK_CLOSE(W("reverse float pickf"), __enzyme_autodiff_f32((void *)pickf, xf), wf, RTOL_F, ATOL_F);
#undef W
  }
  return check_report();
}
