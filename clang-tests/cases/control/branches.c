// Branches and phis: an if/else-if chain (four regions) whose result merges in a phi, a branch on
// a second active argument, and a branch on a constant integer. Reverse and forward, every region.
#include "check.h"

typedef struct { double dx, dy; } D2;
double __enzyme_autodiff(void *, ...);
D2 __enzyme_autodiff_d2(void *, double, double);
double __enzyme_fwddiff(void *, ...);

static double piece(double x) {
  double r;
  if (x < -1.0)
    r = -x * x;
  else if (x < 0.0)
    r = sin(x) + 1.0;
  else if (x < 1.0)
    r = x * x * x;
  else
    r = exp(x) * x;
  return r * 2.0 + x;
}
static double piece_deriv(double x) {
  double d;
  if (x < -1.0)
    d = -2.0 * x;
  else if (x < 0.0)
    d = cos(x);
  else if (x < 1.0)
    d = 3.0 * x * x;
  else
    d = exp(x) * (x + 1.0);
  return 2.0 * d + 1.0;
}

static double two(double x, double y) {
  double a = x * y, b;
  if (y > x)
    b = a * a;
  else
    b = a + sin(y);
  if (b > 1.0)
    b = log(b);
  return b + x;
}
static D2 two_grad(double x, double y) {
  double a = x * y, b, dbdx, dbdy;
  if (y > x) {
    b = a * a;
    dbdx = 2.0 * a * y;
    dbdy = 2.0 * a * x;
  } else {
    b = a + sin(y);
    dbdx = y;
    dbdy = x + cos(y);
  }
  if (b > 1.0) {
    dbdx /= b;
    dbdy /= b;
  }
  D2 g = {dbdx + 1.0, dbdy};
  return g;
}

static double by_mode(double x, int mode) {
  double acc = x;
  if (mode & 1)
    acc = acc * x;
  if (mode & 2)
    acc = acc + sin(x);
  if (mode > 3)
    acc = acc * 3.0;
  return acc;
}
static double by_mode_deriv(double x, int mode) {
  double acc = x, d = 1.0;
  if (mode & 1) {
    d = d * x + acc;
    acc = acc * x;
  }
  if (mode & 2) {
    d = d + cos(x);
    acc = acc + sin(x);
  }
  if (mode > 3)
    d = d * 3.0;
  return d;
}

int main(void) {
  static const double xs[] = {-2.5, -1.3, -0.6, -0.1, 0.2, 0.8, 1.3, 2.1};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    double want = piece_deriv(x);
    CHECK_CLOSE_AT("oracle: piece vs finite differences", x, want, fd1(piece, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse piece", x, __enzyme_autodiff((void *)piece, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward piece", x, __enzyme_fwddiff((void *)piece, x, 1.0), want, RTOL_D, ATOL_D);
    for (int mode = 0; mode < 8; mode++) {
      double wm = by_mode_deriv(x, mode);
      snprintf(what, sizeof what, "reverse by_mode(x, %d)", mode);
      CHECK_CLOSE_AT(what, x, __enzyme_autodiff((void *)by_mode, x, mode), wm, RTOL_D, ATOL_D);
      snprintf(what, sizeof what, "forward by_mode(x, %d)", mode);
      CHECK_CLOSE_AT(what, x, __enzyme_fwddiff((void *)by_mode, x, 1.0, mode), wm, RTOL_D, ATOL_D);
    }
  }
  static const double px[] = {0.5, 1.5, -0.8, 2.0, 0.3};
  static const double py[] = {1.5, 0.5, 0.7, 2.2, -0.9};
  for (unsigned i = 0; i < COUNT_OF(px); i++) {
    double x = px[i], y = py[i];
    D2 w = two_grad(x, y);
#define W(s) (snprintf(what, sizeof what, "%s at (x, y) = (%g, %g)", s, x, y), what)
    CHECK_CLOSE(W("oracle: two d/dx vs finite differences"), w.dx, fd2(two, x, y, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("oracle: two d/dy vs finite differences"), w.dy, fd2(two, x, y, 1), RTOL_FD, ATOL_FD);
    D2 r = __enzyme_autodiff_d2((void *)two, x, y);
    CHECK_CLOSE(W("reverse two d/dx"), r.dx, w.dx, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse two d/dy"), r.dy, w.dy, RTOL_D, ATOL_D);
    double t = __enzyme_fwddiff((void *)two, x, 0.7, y, -1.1);
    CHECK_CLOSE(W("forward two direction (0.7,-1.1)"), t, 0.7 * w.dx - 1.1 * w.dy, RTOL_D, ATOL_D);
#undef W
  }
  return check_report();
}
