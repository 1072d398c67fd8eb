// custom_gradient_ptr.c's rule for scale2(y, x, n) (interleaved shadows, a custom reverse adding
// 30 dy[i] to dx[i] instead of the true 2 dy[i]), called on a LOCAL array y of the differentiated
// function: y receives active data only through that call, so it needs a shadow (allocated by
// the derivative) to pass to the custom functions as dy.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);

__attribute__((noinline)) void scale2(double *y, const double *x, int n) {
  for (int i = 0; i < n; i++)
    y[i] = 2.0 * x[i];
}
static void *aug_scale2(double *y, double *dy, const double *x, double *dx, int n) {
  (void)dy;
  (void)dx;
  for (int i = 0; i < n; i++)
    y[i] = 2.0 * x[i];
  return NULL;
}
static int rev_calls = 0;
static void rev_scale2(double *y, double *dy, const double *x, double *dx, int n, void *tape) {
  (void)y;
  (void)x;
  (void)tape;
  for (int i = 0; i < n; i++) {
    dx[i] += 30.0 * dy[i];
    dy[i] = 0.0;
  }
  rev_calls++;
}
void *__enzyme_register_gradient_scale2[3] = {(void *)scale2, (void *)aug_scale2, (void *)rev_scale2};

/* y = 2x; returns y0 y1 + y2 + y3^2 */
double g_local(const double *x) {
  double y[4];
  scale2(y, x, 4);
  return y[0] * y[1] + y[2] + y[3] * y[3];
}

int main(void) {
  static const double xs[] = {-1.3, 0.2, 0.8, 1.6};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    double xv[4] = {x, 0.5 - x, 1.0 + x, -0.7};
    /* dg/dy = (y1, y0, 1, 2 y3) with y = 2x; with the custom rule dx = 30 dg/dy */
    double want[4] = {30.0 * 2.0 * xv[1], 30.0 * 2.0 * xv[0], 30.0, 30.0 * 2.0 * 2.0 * xv[3]};
    double dl[4] = {0};
    rev_calls = 0;
    __enzyme_autodiff((void *)g_local, xv, dl);
    CHECK_ARRAY_CLOSE("reverse g_local with the custom rule of scale2", dl, want, 4, RTOL_D, ATOL_D);
    CHECK_TRUE("the custom reverse ran once (g_local)", rev_calls == 1);
  }
  return check_report();
}
