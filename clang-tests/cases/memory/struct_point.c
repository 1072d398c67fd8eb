// Structs passed and written through pointers, forward mode in focus: normalising an array of
// 3-d points {x, y, z} in place, with a float weight field; the tangent array of structs holds
// the tangents. Reverse (seeded shadow of the in-place array) checked against forward by the
// dot-product identity <J v, w> == <v, J^T w> and against finite differences of one entry.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

typedef struct {
  double x, y, z;
  float wt;
} Pt;

void normalize_pts(Pt *p, int n) {
  for (int i = 0; i < n; i++) {
    double r = sqrt(p[i].x * p[i].x + p[i].y * p[i].y + p[i].z * p[i].z);
    double sc = (double)p[i].wt / r;
    p[i].x *= sc;
    p[i].y *= sc;
    p[i].z *= sc;
    p[i].wt = (float)(r * 0.5);
  }
}

#define N 4
static void fill(Pt *p, const double *v) {
  for (int i = 0; i < N; i++)
    p[i] = (Pt){v[4 * i], v[4 * i + 1], v[4 * i + 2], (float)v[4 * i + 3]};
}
static void read(const Pt *p, double *v) {
  for (int i = 0; i < N; i++) {
    v[4 * i] = p[i].x;
    v[4 * i + 1] = p[i].y;
    v[4 * i + 2] = p[i].z;
    v[4 * i + 3] = p[i].wt;
  }
}

int main(void) {
  double v[4 * N], tv[4 * N], wv[4 * N];
  unsigned s = 1;
  for (int i = 0; i < 4 * N; i++) {
    v[i] = prand(&s) + (i % 4 == 3 ? 2.0 : 0.0);
    if (i % 4 == 3)
      v[i] = (float)v[i]; // exactly representable weights
    tv[i] = prand(&s);
    if (i % 4 == 3)
      tv[i] = (float)tv[i];
    wv[i] = prand(&s);
    if (i % 4 == 3)
      wv[i] = (float)wv[i];
  }
  Pt p[N], tp[N], q[N], dq[N];
  fill(p, v);
  fill(tp, tv);
  __enzyme_fwddiff((void *)normalize_pts, p, tp, N);
  double jv[4 * N];
  read(tp, jv);
  // analytic forward for point 0
  {
    double x = v[0], y = v[1], z = v[2], w = v[3], r = sqrt(x * x + y * y + z * z);
    double dr = (x * tv[0] + y * tv[1] + z * tv[2]) / r;
    double dsc = tv[3] / r - w * dr / (r * r);
    CHECK_CLOSE("forward tangent of x0", jv[0], tv[0] * w / r + x * dsc, RTOL_D, ATOL_D);
    CHECK_CLOSE("forward tangent of z0", jv[2], tv[2] * w / r + z * dsc, RTOL_D, ATOL_D);
    CHECK_CLOSE("forward tangent of wt0 (float)", jv[3], 0.5 * dr, RTOL_F, ATOL_F);
  }
  fill(q, v);
  fill(dq, wv);
  __enzyme_autodiff((void *)normalize_pts, q, dq, N);
  double jtw[4 * N];
  read(dq, jtw);
  CHECK_CLOSE("<J v, w> == <v, J^T w>", dotv(jv, wv, 4 * N), dotv(tv, jtw, 4 * N), RTOL_F, ATOL_F);
  double after_rev[4 * N], after_fwd[4 * N];
  read(q, after_rev);
  read(p, after_fwd); // both calls update the points in place: same primal result
  CHECK_ARRAY_CLOSE("primal after forward == primal after reverse", after_fwd, after_rev, 4 * N, 1e-15, 1e-15);
  CHECK_CLOSE("primal x0 normalised to length wt", after_fwd[0], v[0] * v[3] / sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]), RTOL_D, ATOL_D);
  return check_report();
}
