// bsearch in a differentiated function: a constant knot table searched with an active key, and
// a table of {x, y} points passed with enzyme_dup whose found entry's y carries the derivative
// (the returned pointer's shadow is the table's shadow at the same offset). At -O0 bsearch is
// the C library's function. Oracles: finite differences, analytic, forward vs reverse.
// RUN: clang opt
#include "check.h"
#include <stdlib.h>
extern int enzyme_dup, enzyme_const;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static const double knots[] = {0.0, 0.5, 1.0, 2.0, 4.0};
static int seg_cmp(const void *key, const void *elt) {
  double x = *(const double *)key;
  const double *k = elt;
  if (x < k[0]) return -1;
  if (x >= k[1]) return 1;
  return 0;
}
// a smoothstep on the segment of knots holding x
static double smooth(double x) {
  const double *k = bsearch(&x, knots, 4, sizeof(double), seg_cmp);
  int i = k ? (int)(k - knots) : 0;
  double t = (x - knots[i]) / (knots[i + 1] - knots[i]);
  return (i + 1) * t * t * (3 - 2 * t);
}

typedef struct { double x, y; } Pt;
static int pt_cmp(const void *key, const void *elt) {
  double x = *(const double *)key, px = ((const Pt *)elt)->x;
  return (x > px) - (x < px);
}
// y of the point with x == q (or 0), scaled by the found point's slope to its right neighbour
static double lookup(const Pt *pts, int n, double q) {
  const Pt *p = bsearch(&q, pts, n, sizeof(Pt), pt_cmp);
  if (!p || p == pts + n - 1) return 0.0;
  return p->y * p->y + (p[1].y - p->y) / (p[1].x - p->x) * q;
}

int main(void) {
  static const double xs[] = {0.2, 0.7, 1.5, 3.1};
  for (unsigned j = 0; j < COUNT_OF(xs); j++) {
    double x = xs[j], fd = fd1(smooth, x);
    CHECK_CLOSE_AT("reverse vs FD", x, __enzyme_autodiff((void *)smooth, x), fd, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("forward vs FD", x, __enzyme_fwddiff((void *)smooth, x, 1.0), fd, RTOL_FD, ATOL_FD);
  }
  Pt pts[5] = {{0, 1.0}, {1, 2.0}, {2, 0.5}, {3, -1.0}, {4, 3.0}}, d[5];
  for (int q = 0; q < 5; q++) {
    memset(d, 0, sizeof d);
    double qd = q;
    double dq = __enzyme_autodiff((void *)lookup, enzyme_dup, pts, d, enzyme_const, 5, qd);
    for (int i = 0; i < 5; i++) {
      double want_y = 0.0;
      if (q < 4 && i == q) want_y = 2 * pts[q].y - qd / (pts[q + 1].x - pts[q].x);
      if (q < 4 && i == q + 1) want_y = qd / (pts[q + 1].x - pts[q].x);
      CHECK_CLOSE("d y", d[i].y, want_y, RTOL_D, ATOL_D);
    }
    double want_q = q < 4 ? (pts[q + 1].y - pts[q].y) / (pts[q + 1].x - pts[q].x) : 0.0;
    CHECK_CLOSE("d q (the search itself carries none)", dq, want_q, RTOL_D, ATOL_D);
    Pt t[5] = {{0, 1}, {0, 1}, {0, 1}, {0, 1}, {0, 1}};
    double tq = __enzyme_fwddiff((void *)lookup, enzyme_dup, pts, t, enzyme_const, 5, qd, 0.0);
    double want_t = 0;
    for (int i = 0; i < 5; i++) want_t += d[i].y;
    CHECK_CLOSE("forward vs reverse", tq, want_t, RTOL_D, ATOL_D);
  }
  return check_report();
}
