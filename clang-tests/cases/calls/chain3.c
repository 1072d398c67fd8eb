// A three-deep chain of defined calls f -> mid -> inner -> leaf, each level calling the next
// several times with mixed arguments (both active, swapped, one constant); noinline keeps them
// calls in clang's pipeline (ferment's own pre-AD inliner still inlines them by default).
// Reverse (both active, each one alone) and forward mode against a hand-written chain rule,
// itself checked against central finite differences. chain3_noinline.c runs the same program
// with -ferment-no-inline (augmented forward + reverse per callee instead of inlining).
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
typedef struct {
  double dx, dy;
} Grad2;
Grad2 __enzyme_autodiff_2(void *, ...) __asm__("__enzyme_autodiff");

__attribute__((noinline)) double leaf(double x, double y) { return sin(x) * y + x * x; }
__attribute__((noinline)) double inner(double x, double y) { return leaf(x, y) * exp(0.5 * y) + leaf(y, x); }
__attribute__((noinline)) double mid(double x, double y) { return log(1.0 + inner(x, y) * inner(x, y)) + x * inner(y, 0.5); }
double chain_f(double x, double y) { return mid(x, y) * cos(y) + mid(0.3, x); }

/* ---- oracle: value and both partials of each level, by the chain rule ---- */
typedef struct {
  double v, a, b; /* value, d/d(first arg), d/d(second arg) */
} D2;

static D2 leaf_d(double x, double y) {
  D2 r = {sin(x) * y + x * x, cos(x) * y + 2.0 * x, sin(x)};
  return r;
}
static D2 inner_d(double x, double y) {
  D2 l = leaf_d(x, y), m = leaf_d(y, x);
  double e = exp(0.5 * y);
  D2 r;
  r.v = l.v * e + m.v;
  r.a = l.a * e + m.b;
  r.b = l.b * e + l.v * 0.5 * e + m.a;
  return r;
}
static D2 mid_d(double x, double y) {
  D2 i = inner_d(x, y), j = inner_d(y, 0.5);
  D2 r;
  r.v = log(1.0 + i.v * i.v) + x * j.v;
  r.a = 2.0 * i.v * i.a / (1.0 + i.v * i.v) + j.v;
  r.b = 2.0 * i.v * i.b / (1.0 + i.v * i.v) + x * j.a;
  return r;
}
static D2 f_d(double x, double y) {
  D2 m = mid_d(x, y), n = mid_d(0.3, x);
  D2 r;
  r.v = m.v * cos(y) + n.v;
  r.a = m.a * cos(y) + n.b;
  r.b = m.b * cos(y) - m.v * sin(y);
  return r;
}

int main(void) {
  static const double xs[] = {-1.1, 0.25, 0.9, 1.6};
  static const double ys[] = {0.7, -0.4, 1.3, -1.2};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i], y = ys[i];
    D2 w = f_d(x, y);
#define W(s) (snprintf(what, sizeof what, "%s at (x, y) = (%g, %g)", s, x, y), what)
    CHECK_CLOSE(W("oracle: value"), w.v, chain_f(x, y), RTOL_D, ATOL_D);
    CHECK_CLOSE(W("oracle: d/dx vs finite differences"), w.a, fd2(chain_f, x, y, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("oracle: d/dy vs finite differences"), w.b, fd2(chain_f, x, y, 1), RTOL_FD, ATOL_FD);
    Grad2 g = __enzyme_autodiff_2((void *)chain_f, x, y);
    CHECK_CLOSE(W("reverse d/dx (both active)"), g.dx, w.a, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse d/dy (both active)"), g.dy, w.b, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse d/dx (y const)"), __enzyme_autodiff((void *)chain_f, x, enzyme_const, y), w.a, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse d/dy (x const)"), __enzyme_autodiff((void *)chain_f, enzyme_const, x, y), w.b, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward direction (1, -0.5)"), __enzyme_fwddiff((void *)chain_f, x, 1.0, y, -0.5), w.a - 0.5 * w.b, RTOL_D, ATOL_D);
    /* the middle of the chain differentiated on its own */
    D2 m = mid_d(x, y);
    Grad2 gm = __enzyme_autodiff_2((void *)mid, x, y);
    CHECK_CLOSE(W("reverse d mid/dx"), gm.dx, m.a, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse d mid/dy"), gm.dy, m.b, RTOL_D, ATOL_D);
#undef W
  }
  return check_report();
}
