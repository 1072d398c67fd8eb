// RUN: clang opt
// Enzyme's `enzyme_byref N, p`: the next value is passed through a pointer to its N bytes (the
// call reads it there; its shadow, if any, and its derivative are as for the value itself: an
// active scalar's derivative is returned). Before an argument in combined reverse, forward and
// split mode; before the return's adjoint in __enzyme_reverse (a struct {re, im} returned in
// registers, Enzyme's cdot example), also batched (enzyme_width 2: the N adjoints in one array);
// a batched combined call, a pointer read by reference (its shadow passed as usual), and
// __enzyme_fwdsplit.
// Oracles: analytic partials, central finite differences.
#include "check.h"

extern int enzyme_byref, enzyme_width;
typedef struct { double re, im; } cplx;
typedef struct { double dx, dy; } G2;
typedef struct { double d[2]; } L2;
double __enzyme_autodiff(void *, ...);
G2 __enzyme_autodiff2(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);
double __enzyme_fwdsplit(void *, ...);
L2 __enzyme_autodiff_l2(void *, ...) __asm__("__enzyme_autodiff");
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);
L2 __enzyme_reverse_l2(void *, ...) __asm__("__enzyme_reverse");

static double f(double x, double y) { return sin(x) * y * y + exp(0.5 * x); }
static double Y;
static double fx(double x) { return f(x, Y); }

// complex dot product sum_i x_i * y_i, returned as a struct in registers
static cplx cdot(const cplx *x, const cplx *y, int n) {
  cplx s = {0, 0};
  for (int i = 0; i < n; i++) {
    s.re += x[i].re * y[i].re - x[i].im * y[i].im;
    s.im += x[i].re * y[i].im + x[i].im * y[i].re;
  }
  return s;
}
static double fw(double x, const double *w) { return x * x * w[0] + sin(w[1]); }
static double cube(double x) { return x * x * x; }
static cplx csq(double a) {
  cplx r = {a * a, sin(a)};
  return r;
}

int main(void) {
  for (double x = -1.0; x <= 1.5; x += 0.5) {
    double y = 0.4 + 0.3 * x;
    Y = y;
    // combined reverse: the first argument by reference, the second by value
    G2 g = __enzyme_autodiff2((void *)f, enzyme_byref, sizeof(double), &x, y);
    CHECK_CLOSE_AT("reverse byref d/dx", x, g.dx, cos(x) * y * y + 0.5 * exp(0.5 * x), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse byref d/dy", x, g.dy, 2 * sin(x) * y, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse byref vs fd", x, g.dx, fd1(fx, x), RTOL_FD, ATOL_FD);
    // both by reference, with enzyme_out after the marker
    G2 h = __enzyme_autodiff2((void *)f, enzyme_byref, 8, &x, enzyme_byref, 8, enzyme_out, &y);
    CHECK_CLOSE_AT("reverse byref both d/dy", x, h.dy, 2 * sin(x) * y, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse byref both d/dx", x, h.dx, g.dx, RTOL_D, ATOL_D);
    // forward: the value by reference, its tangent by value
    double t = __enzyme_fwddiff((void *)f, enzyme_byref, 8, &x, 1.0, y, 0.0);
    CHECK_CLOSE_AT("forward byref", x, t, fd1(fx, x), RTOL_FD, ATOL_FD);
    double ty = __enzyme_fwddiff((void *)f, x, 0.0, enzyme_byref, 8, &y, 1.0);
    CHECK_CLOSE_AT("forward byref second", x, ty, 2 * sin(x) * y, RTOL_D, ATOL_D);
  }
  {
    enum { N = 3 };
    cplx x[N] = {{0.5, -1.0}, {1.5, 0.25}, {-0.75, 2.0}};
    cplx y[N] = {{1.0, 0.5}, {-0.5, 1.25}, {0.3, -0.6}};
    cplx dx[N] = {{0}}, dy[N] = {{0}};
    cplx dret = {0.7, -1.1};
    void *tape = __enzyme_augmentfwd((void *)cdot, x, dx, y, dy, N);
    __enzyme_reverse((void *)cdot, x, dx, y, dy, N, enzyme_byref, sizeof(cplx), &dret, tape);
    // d<dret, s>/dx_i.re = dret.re*y.re + dret.im*y.im; /dx_i.im = -dret.re*y.im + dret.im*y.re
    for (int i = 0; i < N; i++) {
      CHECK_CLOSE("split byref seed dx.re", dx[i].re, dret.re * y[i].re + dret.im * y[i].im, RTOL_D, ATOL_D);
      CHECK_CLOSE("split byref seed dx.im", dx[i].im, -dret.re * y[i].im + dret.im * y[i].re, RTOL_D, ATOL_D);
      CHECK_CLOSE("split byref seed dy.re", dy[i].re, dret.re * x[i].re + dret.im * x[i].im, RTOL_D, ATOL_D);
      CHECK_CLOSE("split byref seed dy.im", dy[i].im, -dret.re * x[i].im + dret.im * x[i].re, RTOL_D, ATOL_D);
    }
    CHECK_CLOSE("the seed is read, not changed", dret.re + 10 * dret.im, 0.7 - 11.0, 0, 0);
    // finite differences of <dret, cdot> in x[1].im
    double h = 1e-6, s0 = x[1].im;
    x[1].im = s0 + h;
    cplx p = cdot(x, y, N);
    x[1].im = s0 - h;
    cplx m = cdot(x, y, N);
    x[1].im = s0;
    double fd = (dret.re * (p.re - m.re) + dret.im * (p.im - m.im)) / (2 * h);
    CHECK_CLOSE("split byref seed vs fd", dx[1].im, fd, RTOL_FD, ATOL_FD);
  }
  {
    // batched split: two seeds {re, im} in one array, read by reference
    double a = 0.8;
    cplx seeds[2] = {{1.0, 0.0}, {0.0, 1.0}};
    void *tape = __enzyme_augmentfwd((void *)csq, enzyme_width, 2, a);
    L2 d = __enzyme_reverse_l2((void *)csq, enzyme_width, 2, a, enzyme_byref, sizeof seeds, seeds, tape);
    CHECK_CLOSE("batched byref seed, lane 0 (d re/da)", d.d[0], 2 * a, RTOL_D, ATOL_D);
    CHECK_CLOSE("batched byref seed, lane 1 (d im/da)", d.d[1], cos(a), RTOL_D, ATOL_D);
  }
  {
    double x = 0.7, w[2] = {1.5, 0.3}, dw0[2] = {0}, dw1[2] = {0}, dw[2] = {0};
    const double *wp = w;
    L2 r = __enzyme_autodiff_l2((void *)fw, enzyme_width, 2, enzyme_byref, 8, &x, enzyme_dup, w, dw0, dw1);
    CHECK_CLOSE("batched byref, lane 0", r.d[0], 2 * x * w[0], RTOL_D, ATOL_D);
    CHECK_CLOSE("batched byref, lane 1", r.d[1], 2 * x * w[0], RTOL_D, ATOL_D);
    CHECK_CLOSE("batched, the pointer's shadow in lane 1", dw1[1], cos(w[1]), RTOL_D, ATOL_D);
    double d = __enzyme_autodiff((void *)fw, x, enzyme_byref, 8, enzyme_dup, &wp, dw);
    CHECK_CLOSE("a pointer by reference: d/dx", d, 2 * x * w[0], RTOL_D, ATOL_D);
    CHECK_CLOSE("a pointer by reference: its shadow", dw[0], x * x, RTOL_D, ATOL_D);
    void *tape = __enzyme_augmentfwd((void *)cube, x);
    double t = __enzyme_fwdsplit((void *)cube, enzyme_byref, 8, &x, 1.0, tape);
    CHECK_CLOSE("fwdsplit, the value by reference", t, 3 * x * x, RTOL_D, ATOL_D);
  }
  return check_report();
}
