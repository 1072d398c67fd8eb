// Helpers that return a pointer into (one of) their pointer arguments: at(a, i) = a + i,
// pick(a, b, first) = first ? a : b, argmax(a, n) = the address of the largest element. The
// returned pointers are read (*at(x, 2) * *at(x, 0)), written through (*at(y, 1) = ...), indexed
// (pick(x, y, 0)[1]) and used in a loop. Reverse (shadows accumulated through the returned
// pointer's shadow) and forward mode against analytic gradients and finite differences.
// ptr_return_noinline.c: the same with -ferment-no-inline (pointer returns with shadows).
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

__attribute__((noinline)) double *at(double *a, int i) { return a + i; }
__attribute__((noinline)) double *pick(double *a, double *b, int first) { return first ? a : b; }
__attribute__((noinline)) double *argmax(double *a, int n) {
  double *m = a;
  for (int i = 1; i < n; i++)
    if (a[i] > *m)
      m = a + i;
  return m;
}

double f_at(double *x) { return *at(x, 2) * *at(x, 0) + sin(*at(x, 1)); }
void g_write(double *x, double *y) {
  *at(y, 1) = *at(x, 0) * 3.0;
  *at(y, 0) += *at(x, 2) * *at(x, 2);
}
double h_pick(double *x, double *y) { return *pick(x, y, 1) * pick(x, y, 0)[1] + pick(y, x, 0)[2]; }
double m_max(double *x, int n) {
  double *p = argmax(x, n);
  double s = *p * *p + x[0];
  for (int i = 0; i < n; i++)
    s += *at(x, i) * (i + 1);
  return s;
}

static double f_at_v(const double *p, const void *c) {
  (void)c;
  double x[3] = {p[0], p[1], p[2]};
  return f_at(x);
}
static double h_pick_v(const double *p, const void *c) {
  (void)c;
  double x[3] = {p[0], p[1], p[2]}, y[3] = {p[3], p[4], p[5]};
  return h_pick(x, y);
}
static double m_max_v(const double *p, const void *c) {
  double x[6];
  memcpy(x, p, sizeof x);
  return m_max(x, *(const int *)c);
}

int main(void) {
  unsigned s = 5;
  for (int t = 0; t < 4; t++) {
    double x[6], y[3];
    for (int i = 0; i < 6; i++)
      x[i] = 1.5 * prand(&s);
    for (int i = 0; i < 3; i++)
      y[i] = 1.5 * prand(&s);

    /* f_at */
    double want[6] = {x[2], cos(x[1]), x[0]};
    CHECK_GRAD_FD("oracle: f_at vs finite differences", f_at_v, NULL, x, 3, want, RTOL_FD, ATOL_FD);
    double dx[6] = {0};
    __enzyme_autodiff((void *)f_at, x, dx);
    CHECK_ARRAY_CLOSE("reverse f_at", dx, want, 3, RTOL_D, ATOL_D);
    double v[3] = {0.5, -1.5, 2.0};
    CHECK_CLOSE("forward f_at", __enzyme_fwddiff((void *)f_at, x, v), dotv(v, want, 3), RTOL_D, ATOL_D);

    /* g_write: y1 = 3 x0, y0 += x2^2; seeds dy = (1, 2) */
    double xx[3] = {x[0], x[1], x[2]}, yy[2] = {y[0], y[1]};
    double dxx[3] = {0}, dyy[2] = {1.0, 2.0};
    __enzyme_autodiff((void *)g_write, xx, dxx, yy, dyy);
    double wg[3] = {6.0, 0.0, 2.0 * x[2]};
    CHECK_ARRAY_CLOSE("reverse g_write dx", dxx, wg, 3, RTOL_D, ATOL_D);
    CHECK_CLOSE("reverse g_write: shadow of y0 (+= keeps its adjoint)", dyy[0], 1.0, RTOL_D, ATOL_D);
    CHECK_CLOSE("reverse g_write: shadow of y1 (overwritten, adjoint consumed)", dyy[1], 0.0, RTOL_D, ATOL_D);
    CHECK_CLOSE("primal g_write y1", yy[1], 3.0 * x[0], RTOL_D, ATOL_D);
    CHECK_CLOSE("primal g_write y0", yy[0], y[0] + x[2] * x[2], RTOL_D, ATOL_D);
    double yt[2] = {y[0], y[1]}, ty[2] = {0.0, 0.0}, tx[3] = {1.0, 0.0, -1.0};
    __enzyme_fwddiff((void *)g_write, xx, tx, yt, ty);
    CHECK_CLOSE("forward g_write tangent of y0", ty[0], -2.0 * x[2], RTOL_D, ATOL_D);
    CHECK_CLOSE("forward g_write tangent of y1", ty[1], 3.0, RTOL_D, ATOL_D);

    /* h_pick = x0 y1 + x2 */
    double p6[6] = {x[0], x[1], x[2], y[0], y[1], y[2]};
    double wh[6] = {y[1], 0.0, 1.0, 0.0, x[0], 0.0};
    CHECK_GRAD_FD("oracle: h_pick vs finite differences", h_pick_v, NULL, p6, 6, wh, RTOL_FD, ATOL_FD);
    double hx[3] = {x[0], x[1], x[2]}, hy[3] = {y[0], y[1], y[2]}, dhx[3] = {0}, dhy[3] = {0};
    __enzyme_autodiff((void *)h_pick, hx, dhx, hy, dhy);
    CHECK_ARRAY_CLOSE("reverse h_pick dx", dhx, wh, 3, RTOL_D, ATOL_D);
    CHECK_ARRAY_CLOSE("reverse h_pick dy", dhy, wh + 3, 3, RTOL_D, ATOL_D);

    /* m_max over 6 elements */
    int n = 6, k = 0;
    for (int i = 1; i < n; i++)
      if (x[i] > x[k])
        k = i;
    double wm[6];
    for (int i = 0; i < n; i++)
      wm[i] = (i + 1) + (i == 0 ? 1.0 : 0.0) + (i == k ? 2.0 * x[k] : 0.0);
    CHECK_GRAD_FD("oracle: m_max vs finite differences", m_max_v, &n, x, n, wm, RTOL_FD, ATOL_FD);
    double dm[6] = {0};
    __enzyme_autodiff((void *)m_max, x, dm, n);
    CHECK_ARRAY_CLOSE("reverse m_max", dm, wm, n, RTOL_D, ATOL_D);
    double tm[6] = {0};
    tm[k] = 1.0;
    CHECK_CLOSE("forward m_max along e_argmax", __enzyme_fwddiff((void *)m_max, x, tm, n), wm[k], RTOL_D, ATOL_D);
  }
  return check_report();
}
