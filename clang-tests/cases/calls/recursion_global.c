// A recursive function (a call that stays a call) reading a global its caller stored active data
// into: the call carries the global's shadow to the callee's derivative, which reads it without
// clearing it (reverse: the callee's adjoints reach the caller's store; forward: the tangent the
// caller stored is read). Before, this was an error (and before that, d/dx x^4 came out as x^3).
// Also: a recursion that itself stores into the global at every depth, and a noinline helper
// that both reads the global and writes it back for the caller; the global overwritten between
// and after the calls (the reverse sweeps must use the values each call read); mutual
// recursion; recursion through a table of function pointers; batched reverse mode (enzyme_width
// 2). Reverse and forward mode against the analytic derivative and central finite differences.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
void __enzyme_autodiff_v(void *, ...) __asm__("__enzyme_autodiff");
extern int enzyme_width, enzyme_dupv;

double g;
__attribute__((noinline)) double power(int n) { return n == 0 ? g : g * power(n - 1); }
static double f(double x) {
  g = x;
  return power(3);
}

/* h(x) = x, scaled at each depth: g <- g * s(k) on the way down, read at the bottom. */
static double acc;
__attribute__((noinline)) double scale_down(int n, double s) {
  if (n == 0)
    return acc * acc;
  acc = acc * (s + n);
  return scale_down(n - 1, s);
}
static double f2(double x, double s) {
  acc = sin(x);
  return scale_down(4, s) + acc;
}

/* read-modify-write of a global in a noinline helper, caller reads it again. */
static double cell;
__attribute__((noinline)) void bump(double w) { cell = cell * w + sin(cell); }
static double f3(double x) {
  cell = x;
  bump(x);
  bump(2.0);
  return cell * x;
}

/* x^4 + (2x)^3: derivative 4x^3 + 24x^2, with g changed between and after the calls */
static double f4(double x) {
  g = x;
  double r = power(3);
  g = 2 * x;
  r += power(2);
  g = 0;
  return r;
}

/* mutual recursion reading g = x^2 */
static double odd(int n);
__attribute__((noinline)) static double even(int n) { return n == 0 ? g : cos(g) * odd(n - 1); }
__attribute__((noinline)) static double odd(int n) { return g * even(n - 1); }
static double f6(double x) {
  g = x * x;
  return even(4);
}

/* recursion through a table of function pointers (dispatch targets) */
typedef double (*step_fn)(int);
static double walk(int n);
static step_fn table[2] = {walk, walk};
static double walk(int n) { return n == 0 ? g : g * table[n & 1](n - 1) + sin(g); }
static double f7(double x) {
  g = x;
  double r = table[0](3);
  g = 0.5;
  return r;
}

/* y = p^4 + sin(p), p = x0 x1, through g, batched reverse */
static void f8(double *x, double *y) {
  g = x[0] * x[1];
  y[0] = power(3) + sin(g);
}

static double f2_x(double x) { return f2(x, 0.3); }
static double f2_s(double s) { return f2(0.6, s); }

int main(void) {
  static const double xs[] = {2.0, -0.7, 1.3};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    double want = 4 * x * x * x;
    CHECK_CLOSE_AT("oracle: d/dx x^4 vs finite differences", x, want, fd1(f, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("d/dx x^4 (reverse)", x, __enzyme_autodiff((void *)f, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("d/dx x^4 (forward)", x, __enzyme_fwddiff((void *)f, x, 1.0), want, RTOL_D, ATOL_D);

    double fx = fd1(f2_x, x);
    CHECK_CLOSE_AT("scaled recursion d/dx (reverse) vs FD", x, __enzyme_autodiff((void *)f2_x, x), fx, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("scaled recursion d/dx (forward) vs FD", x, __enzyme_fwddiff((void *)f2_x, x, 1.0), fx, RTOL_FD, ATOL_FD);
    double fs = fd1(f2_s, x);
    CHECK_CLOSE_AT("scaled recursion d/ds (reverse) vs FD", x, __enzyme_autodiff((void *)f2_s, x), fs, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("scaled recursion d/ds (forward) vs FD", x, __enzyme_fwddiff((void *)f2_s, x, 1.0), fs, RTOL_FD, ATOL_FD);

    double f4d = 4 * x * x * x + 24 * x * x;
    CHECK_CLOSE_AT("oracle: overwritten global vs FD", x, f4d, fd1(f4, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("overwritten global (reverse)", x, __enzyme_autodiff((void *)f4, x), f4d, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("overwritten global (forward)", x, __enzyme_fwddiff((void *)f4, x, 1.0), f4d, RTOL_D, ATOL_D);
    double f6d = fd1(f6, x), f7d = fd1(f7, x);
    CHECK_CLOSE_AT("mutual recursion (reverse) vs FD", x, __enzyme_autodiff((void *)f6, x), f6d, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("mutual recursion (forward) vs FD", x, __enzyme_fwddiff((void *)f6, x, 1.0), f6d, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("function-pointer recursion (reverse) vs FD", x, __enzyme_autodiff((void *)f7, x), f7d, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("function-pointer recursion (forward) vs FD", x, __enzyme_fwddiff((void *)f7, x, 1.0), f7d, RTOL_FD, ATOL_FD);

    double xv[2] = {x, 0.4 * x + 0.9}, y[1], dxv[4] = {0}, dy[2] = {1.0, -2.0};
    __enzyme_autodiff_v((void *)f8, enzyme_width, 2, enzyme_dupv, sizeof(double) * 2, xv, dxv, enzyme_dupv,
                        sizeof(double), y, dy);
    double p = xv[0] * xv[1], dp = 4 * p * p * p + cos(p);
    CHECK_CLOSE_AT("batched reverse lane 0, d/dx0", x, dxv[0], dp * xv[1], RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("batched reverse lane 0, d/dx1", x, dxv[1], dp * xv[0], RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("batched reverse lane 1, d/dx0", x, dxv[2], -2 * dp * xv[1], RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("batched reverse lane 1, d/dx1", x, dxv[3], -2 * dp * xv[0], RTOL_D, ATOL_D);

    double f3d = fd1(f3, x);
    CHECK_CLOSE_AT("read-modify-write helper (reverse) vs FD", x, __enzyme_autodiff((void *)f3, x), f3d, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("read-modify-write helper (forward) vs FD", x, __enzyme_fwddiff((void *)f3, x, 1.0), f3d, RTOL_FD, ATOL_FD);
  }
  return check_report();
}
