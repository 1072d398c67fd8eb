// A loop whose induction variable is a double (for t = 0; t < tend; t += dt): explicit Euler
// for y' = -k y + sin(t) y^2 / (1 + y^2). Gradient with respect to k, y0 and dt (the step size
// also changes the trip count only if it crosses a boundary, which the chosen points avoid).
#include "check.h"

typedef struct { double d[3]; } D3;
D3 __enzyme_autodiff3(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);

double euler(double y0, double k, double dt) {
  double y = y0;
  for (double t = 0.0; t < 2.0; t += dt)
    y += dt * (-k * y + sin(t) * y * y / (1.0 + y * y));
  return y;
}
static double euler_v(const double *p, const void *c) { (void)c; return euler(p[0], p[1], p[2]); }

int main(void) {
  static const double pts[][3] = {{1.0, 0.5, 0.0123}, {-0.7, 1.3, 0.0311}, {2.0, -0.2, 0.00987}};
  char what[128];
  for (unsigned i = 0; i < COUNT_OF(pts); i++) {
    const double *p = pts[i];
    D3 g = __enzyme_autodiff3((void *)euler, p[0], p[1], p[2]);
    // FD in dt is only valid if the trip count does not change for dt +- h: check that
    snprintf(what, sizeof what, "reverse euler point %u", i);
    CHECK_GRAD_FD(what, euler_v, NULL, p, 3, g.d, 1e-5, 1e-8);
    snprintf(what, sizeof what, "forward euler point %u", i);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)euler, p[0], 0.3, p[1], -0.6, p[2], 1.1),
                0.3 * g.d[0] - 0.6 * g.d[1] + 1.1 * g.d[2], 1e-9, 1e-12);
  }
  return check_report();
}
