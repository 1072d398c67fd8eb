// A user-registered gradient for a function with duplicated pointer arguments, in Enzyme's
// interleaved convention: scale2(y, x, n) writes y[i] = 2 x[i]; its augmented forward takes
// (y, dy, x, dx, n), computes the primal and returns a (null) tape pointer; its reverse takes
// (y, dy, x, dx, n, tape) and adds 30 dy[i] to dx[i] (DELIBERATELY not the true 2 dy[i]), then
// zeroes dy[i]. scale2 is noinline so clang's own inliner keeps it under `opt` too. Here y is the
// caller's duplicated output buffer; custom_gradient_local.c: y is a local array.
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
double g_args(const double *x, double *y) {
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

    double dx[4] = {0}, y[4] = {0}, dy[4] = {0};
    rev_calls = 0;
    __enzyme_autodiff((void *)g_args, xv, dx, y, dy);
    CHECK_ARRAY_CLOSE("reverse g_args with the custom rule of scale2", dx, want, 4, RTOL_D, ATOL_D);
    CHECK_TRUE("the custom reverse ran once (g_args)", rev_calls == 1);
    CHECK_CLOSE("primal y computed by the augmented forward", y[3], 2.0 * xv[3], RTOL_D, ATOL_D);
  }
  return check_report();
}
