// Forward vs reverse consistency on a function with branches, a loop with a constant trip count
// and transcendental functions: for several directions v, fwddiff(f, x; v) == <grad f(x), v>,
// where grad f comes from __enzyme_autodiff and is itself checked by finite differences.
// RUN: clang opt
#include "check.h"

typedef struct { double d[4]; } D4;
D4 __enzyme_autodiff(void *, double, double, double, double);
double __enzyme_fwddiff(void *, ...);

double f(double a, double b, double c, double d) {
  double s = a * b;
  for (int i = 0; i < 4; i++) // fully unrolled at -O2, a loop at -O0
    s = s * 0.5 + sin(s + c * i);
  if (s > 0.5)
    s = s * d + exp(-a * a);
  else
    s = log(1.0 + s * s) - d * c;
  return s + sqrt(b * b + 1.0);
}
static double fv(const double *v) { return f(v[0], v[1], v[2], v[3]); }

int main(void) {
  static const double pts[][4] = {{0.5, 1.5, -0.3, 0.8}, {-1.2, 0.4, 2.0, -0.6}, {2.2, -0.8, 0.9, 1.3}};
  static const double dirs[][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}, {0.3, -1.1, 0.7, 2.0}};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(pts); i++) {
    const double *p = pts[i];
    D4 g = __enzyme_autodiff((void *)f, p[0], p[1], p[2], p[3]);
    for (int k = 0; k < 4; k++) {
      snprintf(what, sizeof what, "reverse d/dv%d vs finite differences at point %u", k, i);
      CHECK_CLOSE(what, g.d[k], fdv(fv, p, 4, k), RTOL_FD, ATOL_FD);
    }
    for (unsigned j = 0; j < COUNT_OF(dirs); j++) {
      const double *v = dirs[j];
      double t = __enzyme_fwddiff((void *)f, p[0], v[0], p[1], v[1], p[2], v[2], p[3], v[3]);
      double dot = g.d[0] * v[0] + g.d[1] * v[1] + g.d[2] * v[2] + g.d[3] * v[3];
      snprintf(what, sizeof what, "forward direction %u vs reverse gradient at point %u", j, i);
      CHECK_CLOSE(what, t, dot, RTOL_D, ATOL_D);
    }
  }
  return check_report();
}
