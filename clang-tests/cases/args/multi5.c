// Five active doubles: struct of five derivatives (sret), plus the same with two enzyme_const.
#include "check.h"

typedef struct { double d[5]; } D5;
typedef struct { double d[3]; } D3;
D5 __enzyme_autodiff(void *, double, double, double, double, double);
D3 __enzyme_autodiff_3of5(void *, double, int, double, double, double, int, double);
double __enzyme_fwddiff(void *, ...);

static double f5(double a, double b, double c, double d, double e) {
  return a * b + c * d * e + sin(a) * e - d / b + log(1.0 + c * c);
}
static double f5v(const double *v) { return f5(v[0], v[1], v[2], v[3], v[4]); }

int main(void) {
  static const double pts[][5] = {
      {0.3, 1.5, -0.7, 2.0, 0.9}, {-1.1, -0.6, 1.3, 0.4, -2.2}, {2.5, 0.8, 0.1, -1.5, 1.0}};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(pts); i++) {
    const double *p = pts[i];
    double a = p[0], b = p[1], c = p[2], d = p[3], e = p[4];
    double w[5] = {b + cos(a) * e, a + d / (b * b), d * e + 2.0 * c / (1.0 + c * c), c * e - 1.0 / b,
                   c * d + sin(a)};
    D5 r = __enzyme_autodiff((void *)f5, a, b, c, d, e);
    for (int k = 0; k < 5; k++) {
      snprintf(what, sizeof what, "oracle: d/dv%d vs finite differences at point %u", k, i);
      CHECK_CLOSE(what, w[k], fdv(f5v, p, 5, k), RTOL_FD, ATOL_FD);
      snprintf(what, sizeof what, "reverse 5 active: d/dv%d at point %u", k, i);
      CHECK_CLOSE(what, r.d[k], w[k], RTOL_D, ATOL_D);
    }
    D3 r3 = __enzyme_autodiff_3of5((void *)f5, a, enzyme_const, b, c, d, enzyme_const, e);
    snprintf(what, sizeof what, "reverse b,e const: d/da at point %u", i);
    CHECK_CLOSE(what, r3.d[0], w[0], RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "reverse b,e const: d/dc at point %u", i);
    CHECK_CLOSE(what, r3.d[1], w[2], RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "reverse b,e const: d/dd at point %u", i);
    CHECK_CLOSE(what, r3.d[2], w[3], RTOL_D, ATOL_D);
    double t = __enzyme_fwddiff((void *)f5, a, 1.0, b, 0.5, c, -1.0, d, 0.25, e, 2.0);
    snprintf(what, sizeof what, "forward direction vs reverse gradient at point %u", i);
    CHECK_CLOSE(what, t, r.d[0] + 0.5 * r.d[1] - r.d[2] + 0.25 * r.d[3] + 2.0 * r.d[4], RTOL_D, ATOL_D);
  }
  return check_report();
}
