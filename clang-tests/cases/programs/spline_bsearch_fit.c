// Natural cubic-spline interpolation as a data-analysis code writes it: second derivatives from
// a tridiagonal system solved by the Thomas algorithm (scratch arrays from malloc), evaluation
// at query points located by binary search (`while (hi - lo > 1)` on the knot abscissae, with
// clamping at the ends), and a least-squares misfit of the spline through noisy samples plus a
// curvature penalty integrated by Simpson's rule. The user differentiates the misfit with
// respect to the knot ordinates (reverse), the query locations (forward: the spline's slope),
// and checks the two against each other and against finite differences.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences,
// forward vs reverse, the analytic slope of a spline through a cubic polynomial.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct {
  int n;
  const double *x; /* knot abscissae, increasing */
  double *y;       /* knot ordinates */
  double *m;       /* second derivatives */
} Spline;

static void spline_build(Spline *s) {
  int n = s->n;
  double *a = malloc(n * sizeof(double)), *b = malloc(n * sizeof(double));
  double *c = malloc(n * sizeof(double)), *r = malloc(n * sizeof(double));
  b[0] = 1, c[0] = 0, r[0] = 0, a[0] = 0;
  b[n - 1] = 1, a[n - 1] = 0, r[n - 1] = 0, c[n - 1] = 0;
  for (int i = 1; i < n - 1; i++) {
    double h0 = s->x[i] - s->x[i - 1], h1 = s->x[i + 1] - s->x[i];
    a[i] = h0 / 6, b[i] = (h0 + h1) / 3, c[i] = h1 / 6;
    r[i] = (s->y[i + 1] - s->y[i]) / h1 - (s->y[i] - s->y[i - 1]) / h0;
  }
  for (int i = 1; i < n; i++) {
    double w = a[i] / b[i - 1];
    b[i] -= w * c[i - 1];
    r[i] -= w * r[i - 1];
  }
  s->m[n - 1] = r[n - 1] / b[n - 1];
  for (int i = n - 2; i >= 0; i--) s->m[i] = (r[i] - c[i] * s->m[i + 1]) / b[i];
  free(a), free(b), free(c), free(r);
}

static int locate(const double *x, int n, double t) {
  if (t <= x[0]) return 0;
  if (t >= x[n - 1]) return n - 2;
  int lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    int mid = (lo + hi) / 2;
    if (x[mid] > t) hi = mid;
    else lo = mid;
  }
  return lo;
}

static double spline_eval(const Spline *s, double t, double *d2) {
  int i = locate(s->x, s->n, t);
  double h = s->x[i + 1] - s->x[i];
  double A = (s->x[i + 1] - t) / h, B = (t - s->x[i]) / h;
  if (d2) *d2 = A * s->m[i] + B * s->m[i + 1];
  return A * s->y[i] + B * s->y[i + 1] + ((A * A * A - A) * s->m[i] + (B * B * B - B) * s->m[i + 1]) * h * h / 6;
}

typedef struct {
  int ns;
  const double *ts, *vs;
  double lambda;
} Samples;

double misfit(int n, const double *x, double *y, const Samples *S) {
  double *m = malloc(n * sizeof(double));
  Spline s = {n, x, y, m};
  spline_build(&s);
  double J = 0.0;
  for (int k = 0; k < S->ns; k++) {
    double e = spline_eval(&s, S->ts[k], NULL) - S->vs[k];
    J += e * e;
  }
  /* curvature penalty: Simpson over each interval of (s'')^2 */
  for (int i = 0; i + 1 < n; i++) {
    double a = x[i], b = x[i + 1], c2[3];
    double pts[3] = {a, 0.5 * (a + b), b};
    for (int q = 0; q < 3; q++) spline_eval(&s, pts[q] + (q == 2 ? -1e-12 : 0.0), &c2[q]);
    J += S->lambda * (b - a) / 6 * (c2[0] * c2[0] + 4 * c2[1] * c2[1] + c2[2] * c2[2]);
  }
  free(m);
  return J;
}

double interp(int n, const double *x, double *y, double t) {
  double m[16];
  Spline s = {n, x, y, m};
  spline_build(&s);
  return spline_eval(&s, t, NULL);
}

enum { NK = 9, NSAMP = 25 };

int main(void) {
  double x[NK], y[NK];
  for (int i = 0; i < NK; i++) x[i] = i * i * 0.05 + 0.3 * i, y[i] = sin(x[i]);
  double ts[NSAMP], vs[NSAMP];
  unsigned st = 3;
  for (int k = 0; k < NSAMP; k++) ts[k] = x[NK - 1] * (k + 0.37) / NSAMP, vs[k] = sin(ts[k]) + 0.05 * prand(&st);
  Samples S = {NSAMP, ts, vs, 1e-3};

  double dy[NK] = {0};
  __enzyme_autodiff((void *)misfit, enzyme_const, NK, enzyme_const, x, enzyme_dup, y, dy, enzyme_const, &S);
  CHECK_ARRAY_FD("dJ/dy", y, NK, dy, 1e-6, misfit(NK, x, y, &S), RTOL_FD, ATOL_FD);

  /* forward along the knot ordinates matches the reverse gradient */
  double ty[NK];
  for (int i = 0; i < NK; i++) ty[i] = cos(0.8 * i);
  double t = __enzyme_fwddiff((void *)misfit, NK, enzyme_const, x, enzyme_dup, y, ty, enzyme_const, &S);
  CHECK_CLOSE("forward vs reverse", t, dotv(ty, dy, NK), 1e-9, 1e-12);

  /* slope of the interpolant at query points (forward in t), and d/dy_i by reverse */
  double zero[NK] = {0};
  for (int k = 0; k < 6; k++) {
    double q = 0.15 + 0.77 * k;
    double slope = __enzyme_fwddiff((void *)interp, NK, enzyme_const, x, enzyme_dup, y, zero, q, 1.0);
    CHECK_CLOSE("slope vs fd", slope, FD_AT(q, 1e-6, interp(NK, x, y, q)), RTOL_FD, ATOL_FD);
    double dyq[NK] = {0};
    double dq = __enzyme_autodiff((void *)interp, NK, enzyme_const, x, enzyme_dup, y, dyq, q);
    CHECK_CLOSE("slope reverse", dq, slope, 1e-12, 1e-14);
    CHECK_ARRAY_FD("d interp/dy", y, NK, dyq, 1e-6, interp(NK, x, y, q), RTOL_FD, ATOL_FD);
  }
  /* a natural spline through a straight line reproduces it exactly: slope = 2 everywhere */
  double yl[NK];
  for (int i = 0; i < NK; i++) yl[i] = 2 * x[i] - 1;
  double sl = __enzyme_fwddiff((void *)interp, NK, enzyme_const, x, enzyme_dup, yl, zero, 1.234, 1.0);
  CHECK_CLOSE("slope of a line", sl, 2.0, 1e-10, 1e-12);
  return check_report();
}
