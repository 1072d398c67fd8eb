// A function passed as an enzyme_const argument and called through a pointer (an integrator
// taking its right-hand side as a callback, a pass-through helper): ferment differentiates a
// copy calling it directly. Checked against finite differences in both modes, two callbacks
// sharing one integrator.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_const, enzyme_dup;

typedef double (*rhs_fn)(double t, double y, double k);
__attribute__((noinline)) static double logistic(double t, double y, double k) { return k * y * (1 - y) + 0.1 * sin(t); }
static double decay(double t, double y, double k) { return -k * y * y + cos(t) * 0.05; }

// Explicit midpoint rule, 50 steps.
static double integrate(rhs_fn f, double y0, double k) {
  double y = y0, h = 0.02;
  for (int s = 0; s < 50; s++) {
    double t = s * h;
    double mid = y + 0.5 * h * f(t, y, k);
    y += h * f(t + 0.5 * h, mid, k);
  }
  return y;
}
static double through(rhs_fn f, double x) { return f(0.3, x, x) * x; }
static double outer(rhs_fn f, double x) { return through(f, x) + x; }

static double integrate_logistic(double y0, double k) { return integrate(logistic, y0, k); }
static double integrate_decay(double y0, double k) { return integrate(decay, y0, k); }
static double outer_decay(double x) { return outer(decay, x); }

typedef struct { double dy0, dk; } G;
G __enzyme_autodiff_g(void *, ...);

int main(void) {
  static const double y0s[] = {0.2, 0.5}, ks[] = {0.7, 1.9};
  for (unsigned i = 0; i < COUNT_OF(y0s); i++) {
    double y0 = y0s[i], k = ks[i];
    G g = __enzyme_autodiff_g((void *)integrate, enzyme_const, logistic, y0, k);
    CHECK_CLOSE("logistic d/dy0", g.dy0, fd2(integrate_logistic, y0, k, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("logistic d/dk", g.dk, fd2(integrate_logistic, y0, k, 1), RTOL_FD, ATOL_FD);
    G h = __enzyme_autodiff_g((void *)integrate, enzyme_const, decay, y0, k);
    CHECK_CLOSE("decay d/dy0", h.dy0, fd2(integrate_decay, y0, k, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("decay d/dk", h.dk, fd2(integrate_decay, y0, k, 1), RTOL_FD, ATOL_FD);
    double fw = __enzyme_fwddiff((void *)integrate, enzyme_const, logistic, y0, 1.0, k, 0.0);
    CHECK_CLOSE("forward logistic along y0", fw, g.dy0, RTOL_D, ATOL_D);
    double x = y0 + 0.4;
    CHECK_CLOSE("through a helper", __enzyme_autodiff((void *)outer, enzyme_const, decay, x), fd1(outer_decay, x),
                RTOL_FD, ATOL_FD);
  }
  return check_report();
}
