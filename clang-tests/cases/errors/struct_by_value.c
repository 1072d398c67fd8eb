// CFLAGS: -Werror=backend-plugin
// A struct passed by value is split by the C ABI into separate IR parameters (or one integer, or
// a copy in memory), and Enzyme's convention is positional on those parameters: where the
// pairing is not the one the user wrote, the call must be a compile error naming the struct and
// suggesting a pointer, never a wrong derivative (args/struct_by_value.c: the calls that work).
// - forward mode, {double x, y}: (p.x, p.y, dp.x, dp.y) would pair p.y as the tangent of p.x;
// - {int n; double s}: the same, with an integer piece;
// - {float a; int k}: one i64 holding the float: its derivative would be dropped;
// - a marker before a split struct applies to its first piece only;
// - reverse mode with the shadow of a byval struct passed by value: the gradient lands in a copy;
// - a struct of two pointers, in any mode: each pointer would take the next one as its shadow.
// EXPECT-ERROR: struct_by_value.c:51:
// EXPECT-ERROR: 'f2' takes 'V2' by value (parameter 1), which the C ABI passes as 2 separate values
// EXPECT-ERROR: pass the struct by pointer instead
// EXPECT-ERROR: struct_by_value.c:52:
// EXPECT-ERROR: 'fm' takes 'M' by value (parameter 2), which the C ABI passes as 2 separate values (i32, double): the tangent
// EXPECT-ERROR: struct_by_value.c:53:
// EXPECT-ERROR: so they would get no derivative
// EXPECT-ERROR: struct_by_value.c:54:
// EXPECT-ERROR: an activity marker applies to one of these values
// EXPECT-ERROR: struct_by_value.c:55:
// EXPECT-ERROR: the gradient would be added to a temporary copy
// EXPECT-ERROR: struct_by_value.c:57:
// EXPECT-ERROR: 'fz' takes a complex number by value (parameter 1)
// EXPECT-ERROR: struct_by_value.c:60:
// EXPECT-ERROR: 'fp' takes 'P2' by value (parameter 1), which the C ABI passes as 2 separate values (ptr, ptr): a pointer among them
#include "check.h"
#include <complex.h>

typedef struct { double x, y; } V2;
typedef struct { int n; double s; } M;
typedef struct { float a; int k; } FK;
typedef struct { double a, b, c, d; } V4;

double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff(void *, ...);

static double f2(V2 p) { return p.x * p.x * p.y; }
static double fm(double w, M m) { return w * m.n * m.s * m.s; }
static double fk(FK q) { return q.a * q.a * q.k; }
static double f4(V4 s) { return s.a * s.b * s.c * s.d; }
static double fz(double complex z) { return creal(z * z); }
typedef struct { double *a, *b; } P2;
static double fp(P2 p) { return p.a[0] * p.b[0]; }

int main(void) {
  V2 p = {1.5, 0.7}, dp = {1.0, 0.0};
  M m = {3, 2.0}, dm = {0, 1.0};
  FK q = {1.5f, 2}, dq = {1.0f, 0};
  V4 s = {1, 2, 3, 4}, ds = {0, 0, 0, 0};
  double r = __enzyme_fwddiff((void *)f2, p, dp);
  r += __enzyme_fwddiff((void *)fm, 2.0, 1.0, m, dm);
  r += __enzyme_fwddiff((void *)fk, q, dq);
  r += __enzyme_autodiff((void *)f2, enzyme_const, p);
  __enzyme_autodiff((void *)f4, enzyme_dup, s, ds);
  double complex z = 1.0 + 2.0 * I, dz = 1.0;
  r += __enzyme_fwddiff((void *)fz, z, dz);
  double a0 = 1, b0 = 2, da0 = 0, db0 = 0;
  P2 pp = {&a0, &b0}, dpp = {&da0, &db0};
  __enzyme_autodiff((void *)fp, pp, dpp);
  printf("%g %g\n", r, ds.a);
  return 0;
}
