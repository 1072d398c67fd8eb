// Calls whose arguments are results of other calls: mul_plus(xsin(x), y), a three-deep
// composition outer(mid(inner(x))), and a call result feeding two calls. In the default mode
// ferment inlines them; nested_noinline.c forces augmented forward + reverse pairs (and tangent
// functions), where the adjoint must flow from one call's reverse into the other's.
// Reverse (each argument active alone, both active) and forward against analytic derivatives.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
typedef struct {
  double dx, dy;
} Grad2;
Grad2 __enzyme_autodiff_2(void *, ...) __asm__("__enzyme_autodiff");

__attribute__((noinline)) double xsin(double x) { return x * sin(x); }
__attribute__((noinline)) double mul_plus(double a, double b) { return a * b + a; }
__attribute__((noinline)) double inner(double x) { return exp(0.5 * x); }
__attribute__((noinline)) double mid(double u) { return u * u + 1.0; }
__attribute__((noinline)) double outer(double v) { return log(v); }

/* g = xsin(x) y + xsin(x) */
double g(double x, double y) { return mul_plus(xsin(x), y); }
/* h = log(exp(x/2)^2 + 1) = log(e^x + 1) */
double h(double x) { return outer(mid(inner(x))); }
/* k = mul_plus(s, s) + mid(s) with s = xsin(x): s^2 + s + s^2 + 1 */
double k(double x) {
  double s = xsin(x);
  return mul_plus(s, s) + mid(s);
}

int main(void) {
  static const double xs[] = {-1.4, 0.3, 1.1, 2.2};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i], y = 0.5 - x;
    double s = x * sin(x), ds = sin(x) + x * cos(x);
    double gx = ds * (y + 1.0), gy = s;
    CHECK_CLOSE_AT("oracle: dg/dx vs finite differences", x, gx, fd2(g, x, y, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse dg/dx (y const)", x, __enzyme_autodiff((void *)g, x, enzyme_const, y), gx, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse dg/dy (x const)", x, __enzyme_autodiff((void *)g, enzyme_const, x, y), gy, RTOL_D, ATOL_D);
    Grad2 gg = __enzyme_autodiff_2((void *)g, x, y);
    CHECK_CLOSE_AT("reverse dg/dx (both active)", x, gg.dx, gx, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse dg/dy (both active)", x, gg.dy, gy, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward g along (1, 2)", x, __enzyme_fwddiff((void *)g, x, 1.0, y, 2.0), gx + 2.0 * gy, RTOL_D, ATOL_D);

    double hx = exp(x) / (exp(x) + 1.0);
    CHECK_CLOSE_AT("oracle: h' vs finite differences", x, hx, fd1(h, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse h = outer(mid(inner(x)))", x, __enzyme_autodiff((void *)h, x), hx, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward h", x, __enzyme_fwddiff((void *)h, x, 1.0), hx, RTOL_D, ATOL_D);

    double kx = (4.0 * s + 1.0) * ds;
    CHECK_CLOSE_AT("oracle: k' vs finite differences", x, kx, fd1(k, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse k (one call result feeding two calls)", x, __enzyme_autodiff((void *)k, x), kx, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward k", x, __enzyme_fwddiff((void *)k, x, 1.0), kx, RTOL_D, ATOL_D);
  }
  return check_report();
}
