// A helper called once per iteration of a runtime-length loop, the shape of a least-squares
// objective (issue 7's benchmark pattern, e.g. a reprojection error per observation):
// - resid(u, v, obs): scalar arguments computed from active arrays in the loop;
// - proj(cam, pt, obs): pointers into the active camera and point arrays (pt advances with i).
// The caller sums squared residuals. In no-inline mode (loop_calls_noinline.c) each iteration's
// augmented call leaves a tape that the reverse loop must consume in reverse order. Reverse and
// forward against analytic gradients checked against finite differences.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

__attribute__((noinline)) double resid(double u, double v, double obs) { return u * sin(v) - obs; }
__attribute__((noinline)) double proj(const double *cam, const double *pt, double obs) {
  double z = cam[2] + pt[1] * pt[1];
  return (cam[0] * pt[0] + cam[1]) / z - obs;
}

#define NP 6
static const double OBS[NP] = {0.3, -0.2, 0.8, 0.1, -0.5, 0.45};

double obj_scalar(const double *cam, const double *pts, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++) {
    double r = resid(cam[0] * pts[2 * i], cam[1] + pts[2 * i + 1], OBS[i]);
    s += r * r;
  }
  return s;
}
double obj_ptr(const double *cam, const double *pts, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++) {
    double r = proj(cam, pts + 2 * i, OBS[i]);
    s += r * r;
  }
  return s;
}

/* packed: cam[0..3), pts[0..2n) */
static double scalar_packed(const double *p, const void *c) { return obj_scalar(p, p + 3, *(const int *)c); }
static double ptr_packed(const double *p, const void *c) { return obj_ptr(p, p + 3, *(const int *)c); }

static void grad_scalar(const double *cam, const double *pts, int n, double *gc, double *gp) {
  memset(gc, 0, 3 * sizeof(double));
  memset(gp, 0, 2 * (size_t)n * sizeof(double));
  for (int i = 0; i < n; i++) {
    double u = cam[0] * pts[2 * i], v = cam[1] + pts[2 * i + 1];
    double r = u * sin(v) - OBS[i], ru = sin(v), rv = u * cos(v);
    gc[0] += 2.0 * r * ru * pts[2 * i];
    gp[2 * i] += 2.0 * r * ru * cam[0];
    gc[1] += 2.0 * r * rv;
    gp[2 * i + 1] += 2.0 * r * rv;
  }
}
static void grad_ptr(const double *cam, const double *pts, int n, double *gc, double *gp) {
  memset(gc, 0, 3 * sizeof(double));
  memset(gp, 0, 2 * (size_t)n * sizeof(double));
  for (int i = 0; i < n; i++) {
    const double *pt = pts + 2 * i;
    double z = cam[2] + pt[1] * pt[1], num = cam[0] * pt[0] + cam[1];
    double r = num / z - OBS[i];
    gc[0] += 2.0 * r * pt[0] / z;
    gc[1] += 2.0 * r / z;
    gc[2] += 2.0 * r * (-num / (z * z));
    gp[2 * i] += 2.0 * r * cam[0] / z;
    gp[2 * i + 1] += 2.0 * r * (-num / (z * z)) * 2.0 * pt[1];
  }
}

int main(void) {
  unsigned s = 13;
  for (int n = 1; n <= NP; n += 2) {
    double p[3 + 2 * NP];
    for (int i = 0; i < 3 + 2 * n; i++)
      p[i] = prand(&s);
    p[2] = 2.0 + p[2]; /* z > 0 */
    double g[3 + 2 * NP], d[3 + 2 * NP];
    char what[128];

    grad_scalar(p, p + 3, n, g, g + 3);
    snprintf(what, sizeof what, "oracle: obj_scalar vs finite differences (n=%d)", n);
    CHECK_GRAD_FD(what, scalar_packed, &n, p, 3 + 2 * n, g, RTOL_FD, ATOL_FD);
    memset(d, 0, sizeof d);
    __enzyme_autodiff((void *)obj_scalar, p, d, p + 3, d + 3, n);
    snprintf(what, sizeof what, "reverse obj_scalar (n=%d)", n);
    CHECK_ARRAY_CLOSE(what, d, g, 3 + 2 * n, RTOL_D, ATOL_D);
    double t[3 + 2 * NP];
    for (int i = 0; i < 3 + 2 * n; i++)
      t[i] = 0.1 * (i + 1);
    CHECK_CLOSE("forward obj_scalar", __enzyme_fwddiff((void *)obj_scalar, p, t, p + 3, t + 3, n), dotv(t, g, 3 + 2 * n), RTOL_D, ATOL_D);

    grad_ptr(p, p + 3, n, g, g + 3);
    snprintf(what, sizeof what, "oracle: obj_ptr vs finite differences (n=%d)", n);
    CHECK_GRAD_FD(what, ptr_packed, &n, p, 3 + 2 * n, g, RTOL_FD, ATOL_FD);
    memset(d, 0, sizeof d);
    __enzyme_autodiff((void *)obj_ptr, p, d, p + 3, d + 3, n);
    snprintf(what, sizeof what, "reverse obj_ptr (n=%d)", n);
    CHECK_ARRAY_CLOSE(what, d, g, 3 + 2 * n, RTOL_D, ATOL_D);
    CHECK_CLOSE("forward obj_ptr", __enzyme_fwddiff((void *)obj_ptr, p, t, p + 3, t + 3, n), dotv(t, g, 3 + 2 * n), RTOL_D, ATOL_D);
  }
  return check_report();
}
