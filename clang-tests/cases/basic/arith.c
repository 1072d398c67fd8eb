// Derivatives of the arithmetic instructions fadd, fsub, fmul, fdiv, fneg (double and float),
// alone and combined; reverse (two active scalars: struct return) and forward.
#include "check.h"

typedef struct { double dx, dy; } D2;
double __enzyme_autodiff(void *, ...);
D2 __enzyme_autodiff_d2(void *, double, double);
double __enzyme_fwddiff(void *, ...);
float __enzyme_autodiff_f32(void *, float);
float __enzyme_fwddiff_f32x2(void *, float, float, float, float);

static double add(double x, double y) { return x + y; }
static double sub(double x, double y) { return x - y; }
static double mul(double x, double y) { return x * y; }
static double dvd(double x, double y) { return x / y; }
static double neg(double x) { return -x; }
static double combo(double x, double y) { return (x * x - 3.0 * y) / (x + y * y) + -(x * y) - 2.5; }
static double self_ops(double x) { return x * x + x / (x + 4.0) - (x - x * 0.5); }
static float mulf(float x, float y) { return x * y; }
static float dvdf(float x, float y) { return x / y; }
static float negf(float x) { return -x * 3.0f; }
static float combof(float x, float y) { return (x * x - 3.0f * y) / (x + y * y) + -(x * y); }

int main(void) {
  static const double xs[] = {1.5, -0.7, 2.2, 0.4};
  static const double ys[] = {-0.4, 2.5, 0.9, -3.0};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i], y = ys[i];
    float xf = (float)x, yf = (float)y;
#define W(s) (snprintf(what, sizeof what, "%s at (x, y) = (%g, %g)", s, x, y), what)
    struct { const char *name; double (*f)(double, double); double dx, dy; } ops[] = {
        {"fadd", add, 1.0, 1.0},
        {"fsub", sub, 1.0, -1.0},
        {"fmul", mul, y, x},
        {"fdiv", dvd, 1.0 / y, -x / (y * y)},
    };
    D2 r;
    r = __enzyme_autodiff_d2((void *)add, x, y);
    CHECK_CLOSE(W("reverse fadd d/dx"), r.dx, ops[0].dx, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse fadd d/dy"), r.dy, ops[0].dy, RTOL_D, ATOL_D);
    r = __enzyme_autodiff_d2((void *)sub, x, y);
    CHECK_CLOSE(W("reverse fsub d/dx"), r.dx, ops[1].dx, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse fsub d/dy"), r.dy, ops[1].dy, RTOL_D, ATOL_D);
    r = __enzyme_autodiff_d2((void *)mul, x, y);
    CHECK_CLOSE(W("reverse fmul d/dx"), r.dx, ops[2].dx, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse fmul d/dy"), r.dy, ops[2].dy, RTOL_D, ATOL_D);
    r = __enzyme_autodiff_d2((void *)dvd, x, y);
    CHECK_CLOSE(W("reverse fdiv d/dx"), r.dx, ops[3].dx, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse fdiv d/dy"), r.dy, ops[3].dy, RTOL_D, ATOL_D);
    for (unsigned k = 0; k < COUNT_OF(ops); k++) {
      CHECK_CLOSE(W(ops[k].name), ops[k].dx, fd2(ops[k].f, x, y, 0), RTOL_FD, ATOL_FD);
      CHECK_CLOSE(W(ops[k].name), ops[k].dy, fd2(ops[k].f, x, y, 1), RTOL_FD, ATOL_FD);
    }
    CHECK_CLOSE(W("forward fadd"), __enzyme_fwddiff((void *)add, x, 0.5, y, 2.0), 0.5 + 2.0, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward fsub"), __enzyme_fwddiff((void *)sub, x, 0.5, y, 2.0), 0.5 - 2.0, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward fmul"), __enzyme_fwddiff((void *)mul, x, 0.5, y, 2.0), 0.5 * y + 2.0 * x, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward fdiv"), __enzyme_fwddiff((void *)dvd, x, 0.5, y, 2.0), 0.5 / y - 2.0 * x / (y * y), RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse fneg"), __enzyme_autodiff((void *)neg, x), -1.0, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward fneg"), __enzyme_fwddiff((void *)neg, x, 0.5), -0.5, RTOL_D, ATOL_D);

    // combo: analytic partials
    double u = x * x - 3.0 * y, v = x + y * y;
    double cdx = (2.0 * x * v - u) / (v * v) - y;
    double cdy = (-3.0 * v - u * 2.0 * y) / (v * v) - x;
    CHECK_CLOSE(W("oracle: combo d/dx vs finite differences"), cdx, fd2(combo, x, y, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("oracle: combo d/dy vs finite differences"), cdy, fd2(combo, x, y, 1), RTOL_FD, ATOL_FD);
    r = __enzyme_autodiff_d2((void *)combo, x, y);
    CHECK_CLOSE(W("reverse combo d/dx"), r.dx, cdx, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse combo d/dy"), r.dy, cdy, RTOL_D, ATOL_D);
    double tv = __enzyme_fwddiff((void *)combo, x, 1.25, y, -0.5);
    CHECK_CLOSE(W("forward combo vs reverse gradient"), tv, 1.25 * r.dx - 0.5 * r.dy, RTOL_D, ATOL_D);

    // the same value used several times
    double sdx = 2.0 * x + 4.0 / ((x + 4.0) * (x + 4.0)) - 0.5;
    CHECK_CLOSE(W("oracle: self_ops vs finite differences"), sdx, fd1(self_ops, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("reverse self_ops"), __enzyme_autodiff((void *)self_ops, x), sdx, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward self_ops"), __enzyme_fwddiff((void *)self_ops, x, 1.0), sdx, RTOL_D, ATOL_D);

    // float
    CHECK_CLOSE(W("forward float fmul"), __enzyme_fwddiff_f32x2((void *)mulf, xf, 1.0f, yf, 0.0f), yf, RTOL_F, ATOL_F);
    CHECK_CLOSE(W("forward float fdiv d/dy"), __enzyme_fwddiff_f32x2((void *)dvdf, xf, 0.0f, yf, 1.0f),
                -(double)xf / ((double)yf * yf), RTOL_F, ATOL_F);
    CHECK_CLOSE(W("reverse float fneg"), __enzyme_autodiff_f32((void *)negf, xf), -3.0, RTOL_F, ATOL_F);
    {
      double u2 = (double)xf * xf - 3.0 * yf, v2 = (double)xf + (double)yf * yf;
      double fdx = (2.0 * xf * v2 - u2) / (v2 * v2) - yf;
      double fdy = (-3.0 * v2 - u2 * 2.0 * yf) / (v2 * v2) - xf;
      double tvf = __enzyme_fwddiff_f32x2((void *)combof, xf, 1.25f, yf, -0.5f);
      CHECK_CLOSE(W("forward float combo"), tvf, 1.25 * fdx - 0.5 * fdy, 1e-4, 1e-5);
    }
#undef W
  }
  return check_report();
}
