// for-loops with compile-time trip counts: Horner evaluation of a degree-9 polynomial, a product
// of 16 factors, and a 3x3 constant-size double loop (unrolled at -O2/-O3, real loops at -O0).
// RUN: clang opt
#include "check.h"

typedef struct { double d[2]; } D2;
double __enzyme_autodiff(void *, ...);
D2 __enzyme_autodiff2(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);

static const double C[10] = {1.0, -0.5, 0.25, 2.0, -1.0, 0.125, 0.3, -0.7, 0.05, 0.01};
double horner(double x) {
  double p = 0.0;
  for (int k = 9; k >= 0; k--)
    p = p * x + C[k];
  return p;
}
double prod16(double x) {
  double p = 1.0;
  for (int i = 0; i < 16; i++)
    p *= x + 0.1 * i;
  return p;
}
double grid(double a, double b) {
  double s = 0.0;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      s += sin(a * (i + 1) + b * j) * (i - j + 0.5);
  return s;
}

int main(void) {
  static const double xs[] = {-1.7, -0.3, 0.0, 0.8, 1.9};
  for (unsigned t = 0; t < COUNT_OF(xs); t++) {
    double x = xs[t];
    double dh = 0.0;
    for (int k = 1; k < 10; k++)
      dh += k * C[k] * pow(x, k - 1);
    CHECK_CLOSE_AT("oracle: horner' vs finite differences", x, dh, fd1(horner, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse horner", x, __enzyme_autodiff((void *)horner, x), dh, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward horner", x, __enzyme_fwddiff((void *)horner, x, 1.0), dh, RTOL_D, ATOL_D);
    double p = prod16(x), dp = 0.0;
    for (int i = 0; i < 16; i++) {
      double q = 1.0;
      for (int j = 0; j < 16; j++)
        if (j != i)
          q *= x + 0.1 * j;
      dp += q;
    }
    (void)p;
    CHECK_CLOSE_AT("reverse prod16", x, __enzyme_autodiff((void *)prod16, x), dp, 1e-9, 1e-12);
    CHECK_CLOSE_AT("forward prod16", x, __enzyme_fwddiff((void *)prod16, x, 1.0), dp, 1e-9, 1e-12);
    double a = x, b = 0.7 - x;
    double wa = 0.0, wb = 0.0;
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) {
        double c = cos(a * (i + 1) + b * j) * (i - j + 0.5);
        wa += c * (i + 1);
        wb += c * j;
      }
    CHECK_CLOSE_AT("oracle: grid d/da vs finite differences", a, wa, fd2(grid, a, b, 0), RTOL_FD, ATOL_FD);
    D2 g = __enzyme_autodiff2((void *)grid, a, b);
    CHECK_CLOSE_AT("reverse grid d/da", a, g.d[0], wa, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse grid d/db", a, g.d[1], wb, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward grid (1, 2)", a, __enzyme_fwddiff((void *)grid, a, 1.0, b, 2.0), wa + 2 * wb, RTOL_D, ATOL_D);
  }
  return check_report();
}
