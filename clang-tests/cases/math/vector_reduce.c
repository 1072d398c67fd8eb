// Floating-point vector reductions (`llvm.vector.reduce.fmax/fmin/fmaximum/fminimum`, written
// here with clang's `__builtin_reduce_*` on a vector type; LLVM's vectorizers make the same
// intrinsics, with `fadd`/`fmul`, in optimized IR given to `opt`). The derivative reaches the
// winning lane only, float and double, reverse and forward mode; checked against the analytic
// partials (the winner found by a plain loop) and central finite differences, and the forward
// tangents against the reverse gradient (dot product).
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
float __enzyme_autodiff_f(void *, ...);
extern int enzyme_dup;

typedef double v4d __attribute__((ext_vector_type(4)));
typedef float v4f __attribute__((ext_vector_type(4)));

/* Lanes computed from the inputs, so every lane has its own partials. */
#define LANES(T) {x[0] * x[1], sin(x[2]), x[3] * x[3], 0.25 * x[0] + x[2]}

static double rmax(const double *x) { v4d v = LANES(double); return 2.0 * __builtin_reduce_max(v); }
static double rmin(const double *x) { v4d v = LANES(double); return __builtin_reduce_min(v) + x[1]; }
static double rmaximum(const double *x) { v4d v = LANES(double); return __builtin_reduce_maximum(v); }
static double rminimum(const double *x) { v4d v = LANES(double); return -__builtin_reduce_minimum(v); }
static float rmaxf(const float *x) { v4f v = LANES(float); return __builtin_reduce_max(v); }

/* The lanes and their gradients, written out: lane k's value and d lane_k / d x. */
static void lanes(const double *x, double *l, double g[4][4]) {
  memset(g, 0, 16 * sizeof(double));
  l[0] = x[0] * x[1], g[0][0] = x[1], g[0][1] = x[0];
  l[1] = sin(x[2]), g[1][2] = cos(x[2]);
  l[2] = x[3] * x[3], g[2][3] = 2.0 * x[3];
  l[3] = 0.25 * x[0] + x[2], g[3][0] = 0.25, g[3][2] = 1.0;
}

/* The analytic gradient of scale * (max or min of the lanes) + x[1] * plus. */
static void expect(const double *x, int is_max, double scale, double plus, double *want) {
  double l[4], g[4][4];
  lanes(x, l, g);
  int w = 0;
  for (int k = 1; k < 4; k++)
    if (is_max ? l[k] > l[w] : l[k] < l[w])
      w = k;
  for (int i = 0; i < 4; i++)
    want[i] = scale * g[w][i];
  want[1] += plus;
}

static void check(const char *name, double (*f)(const double *), int is_max, double scale,
                  double plus, const double *x0) {
  double x[4], dx[4] = {0}, want[4], v[4] = {0.3, -0.7, 0.5, 1.1}, t;
  char what[128];
  memcpy(x, x0, sizeof x);
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx);
  expect(x, is_max, scale, plus, want);
  for (int i = 0; i < 4; i++) {
    snprintf(what, sizeof what, "%s reverse d/dx%d", name, i);
    CHECK_CLOSE(what, dx[i], want[i], 1e-12, 1e-12);
  }
  snprintf(what, sizeof what, "%s reverse vs FD", name);
  CHECK_ARRAY_FD(what, x, 4, dx, 1e-6, f(x), 1e-6, 1e-8);
  t = __enzyme_fwddiff((void *)f, enzyme_dup, x, v);
  snprintf(what, sizeof what, "%s forward vs reverse", name);
  CHECK_CLOSE(what, t, dotv(dx, v, 4), 1e-12, 1e-12);
}

int main(void) {
  /* Points where different lanes win (no ties within the FD step). */
  static const double pts[4][4] = {
      {1.3, 0.9, 0.2, 0.4}, {-2.0, 0.2, 1.4, 0.3}, {0.2, -0.5, 0.3, 1.6}, {2.0, -0.1, 1.0, 0.2}};
  for (int p = 0; p < 4; p++) {
    check("reduce_max", rmax, 1, 2.0, 0.0, pts[p]);
    check("reduce_min", rmin, 0, 1.0, 1.0, pts[p]);
    check("reduce_maximum", rmaximum, 1, 1.0, 0.0, pts[p]);
    check("reduce_minimum", rminimum, 0, -1.0, 0.0, pts[p]);
    float xf[4], dxf[4] = {0};
    double xd[4], want[4];
    for (int i = 0; i < 4; i++)
      xf[i] = (float)pts[p][i], xd[i] = xf[i];
    __enzyme_autodiff_f((void *)rmaxf, enzyme_dup, xf, dxf);
    expect(xd, 1, 1.0, 0.0, want);
    for (int i = 0; i < 4; i++)
      CHECK_CLOSE("reduce_max float", dxf[i], want[i], 1e-5, 1e-6);
  }
  return check_report();
}
