// Surface integrals on a parametric shape as a geometry-processing code writes them in C: the
// Gauss-Legendre nodes and weights of any order computed by Newton iteration on the Legendre
// recurrence the first time an order is asked for and kept in a static local cache (a table of
// orders with a `static int filled[]` flag, inactive data shared by every call, primal and
// derivative), a tensor-product rule over (u, v), the area element |r_u x r_v| of a superellipsoid-
// like surface whose exponents and radii are the parameters, the enclosed volume by the
// divergence theorem, and a penalty driving the shape towards a target area and volume.
// The quadrature points are sorted by qsort with a comparator before being summed (a
// reproducible order, integer keys only). The user differentiates the penalty with respect to
// the shape parameters (reverse and forward).
// Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
// forward vs reverse, the sphere's analytic area and volume derivatives.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { MAXO = 24 };

/* nodes and weights on [-1, 1], cached per order */
static const double *gl_rule(int n, const double **weights) {
  static double xs[MAXO + 1][MAXO], ws[MAXO + 1][MAXO];
  static int filled[MAXO + 1];
  if (!filled[n]) {
    for (int i = 0; i < n; i++) {
      double x = cos(M_PI * (i + 0.75) / (n + 0.5)), dp = 1.0;
      for (int it = 0; it < 100; it++) {
        double p0 = 1.0, p1 = x;
        for (int k = 2; k <= n; k++) {
          double pk = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
          p0 = p1;
          p1 = pk;
        }
        dp = n * (x * p1 - p0) / (x * x - 1.0);
        double dx = p1 / dp;
        x -= dx;
        if (fabs(dx) < 1e-15) break;
      }
      xs[n][i] = x;
      ws[n][i] = 2.0 / ((1.0 - x * x) * dp * dp);
    }
    filled[n] = 1;
  }
  *weights = ws[n];
  return xs[n];
}

typedef struct {
  int key; /* cell index: integer sort key */
  int iu, iv;
} Sample;

static int by_key(const void *a, const void *b) {
  int ka = ((const Sample *)a)->key, kb = ((const Sample *)b)->key;
  return (ka > kb) - (ka < kb);
}

/* p = [a, b, c, e] : r(u, v) = (a cos^e v cos u, b cos^e v sin u, c sin v) with a smooth
   signed power so that e = 1 is the ellipsoid */
static double spow(double s, double e) { return s >= 0 ? pow(s, e) : -pow(-s, e); }

static void surface(const double *p, double u, double v, double *r, double *ru, double *rv) {
  double cv = spow(cos(v), p[3]), dcv = p[3] * pow(fabs(cos(v)), p[3] - 1.0) * -sin(v);
  r[0] = p[0] * cv * cos(u);
  r[1] = p[1] * cv * sin(u);
  r[2] = p[2] * sin(v);
  ru[0] = -p[0] * cv * sin(u);
  ru[1] = p[1] * cv * cos(u);
  ru[2] = 0.0;
  rv[0] = p[0] * dcv * cos(u);
  rv[1] = p[1] * dcv * sin(u);
  rv[2] = p[2] * cos(v);
}

static void area_volume(const double *p, int order, double *area, double *vol) {
  const double *w;
  const double *x = gl_rule(order, &w);
  int ns = order * order;
  Sample *s = malloc(sizeof(Sample) * ns);
  for (int i = 0; i < order; i++)
    for (int j = 0; j < order; j++) {
      s[i * order + j].iu = i;
      s[i * order + j].iv = j;
      s[i * order + j].key = (j * 7919 + i * 104729) % 1000003;
    }
  qsort(s, ns, sizeof(Sample), by_key);
  double A = 0.0, V = 0.0;
  for (int k = 0; k < ns; k++) {
    double u = M_PI * (x[s[k].iu] + 1.0);         /* [0, 2 pi] */
    double v = 0.5 * M_PI * x[s[k].iv];           /* [-pi/2, pi/2] */
    double jac = M_PI * 0.5 * M_PI * w[s[k].iu] * w[s[k].iv];
    double r[3], ru[3], rv[3];
    surface(p, u, v, r, ru, rv);
    double n0 = ru[1] * rv[2] - ru[2] * rv[1], n1 = ru[2] * rv[0] - ru[0] * rv[2],
           n2 = ru[0] * rv[1] - ru[1] * rv[0];
    A += jac * sqrt(n0 * n0 + n1 * n1 + n2 * n2);
    V += jac * fabs(r[0] * n0 + r[1] * n1 + r[2] * n2) / 3.0;
  }
  free(s);
  *area = A;
  *vol = V;
}

static double penalty(const double *p) {
  double A, V;
  area_volume(p, 16, &A, &V);
  return (A - 12.0) * (A - 12.0) + 2.0 * (V - 4.0) * (V - 4.0);
}

static double sphere_area(const double *p) {
  double A, V;
  area_volume(p, 20, &A, &V);
  return A;
}

static double sphere_volume(const double *p) {
  double A, V;
  area_volume(p, 20, &A, &V);
  return V;
}

int main(void) {
  /* the sphere of radius R: A = 4 pi R^2, V = 4/3 pi R^3; scaling every radius by (1 + s)
     gives dA/ds = 8 pi R^2, dV/ds = 4 pi R^3 */
  double R = 1.3, ps[4] = {R, R, R, 1.0}, t[4] = {R, R, R, 0.0};
  CHECK_CLOSE("sphere area", sphere_area(ps), 4 * M_PI * R * R, 1e-8, 1e-10);
  double dA = __enzyme_fwddiff((void *)sphere_area, enzyme_dup, ps, t);
  double dV = __enzyme_fwddiff((void *)sphere_volume, enzyme_dup, ps, t);
  CHECK_CLOSE("sphere dA along the scaling", dA, 8 * M_PI * R * R, 1e-7, 1e-10);
  CHECK_CLOSE("sphere dV along the scaling", dV, 4 * M_PI * R * R * R, 1e-7, 1e-10);

  double p[4] = {1.1, 0.9, 1.4, 0.8}, dp[4] = {0};
  __enzyme_autodiff((void *)penalty, enzyme_dup, p, dp);
  CHECK_ARRAY_FD("dpenalty/dp", p, 4, dp, 1e-6, penalty(p), 1e-6, 1e-8);
  double tp[4] = {0.3, -0.4, 0.2, 0.5};
  double jt = __enzyme_fwddiff((void *)penalty, enzyme_dup, p, tp);
  CHECK_CLOSE("tangent vs reverse", jt, dotv(dp, tp, 4), 1e-10, 1e-12);
  return check_report();
}
