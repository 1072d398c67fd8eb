// Structs passed by value where Enzyme's positional convention means what the user wrote:
// - reverse mode of a function taking {double x, y} (the C ABI splits it into two doubles, each
//   an active float): the adjoints come back in order, as a struct of the same layout;
// - a struct of two floats (one <2 x float> value): its tangent is one value too;
// - a large struct passed in memory (byval): forward mode with its tangent struct by value,
//   reverse mode with the address of the gradient struct after it;
// - a {double, double} returned by value: forward mode returns its tangent struct;
// - a complex number by value in reverse mode (two doubles, adjoints in order).
// Oracles: analytic partials and central finite differences of the primal.
// (errors/struct_by_value*.c: the calls whose pairing would be wrong are compile errors.)
#include "check.h"
#include <complex.h>

typedef struct { double x, y; } V2;
typedef struct { float u, v; } F2;
typedef struct { double a, b, c, d; } V4;

V2 __enzyme_autodiff(void *, ...);
double __enzyme_autodiff_d(void *, ...);
void __enzyme_autodiff_v(void *, ...);
double __enzyme_fwddiff(void *, ...);
float __enzyme_fwddiff_f(void *, ...);
V2 __enzyme_fwddiff_v2(void *, ...);

static double f2(V2 p) { return p.x * p.x * p.y + sin(p.y) * p.x; }
static float ff(F2 q) { return q.u * q.v * q.v + cosf(q.u); }
static double f4(V4 s) { return s.a * s.b + s.c * s.c * s.d + exp(s.a * s.d); }
static double fz(double complex z) { return creal(z * z * z) + cimag(z); }
static V2 rot(double t, double r) { V2 o = {r * cos(t), r * sin(t) * t}; return o; }

static double f2xy(double x, double y) { V2 p = {x, y}; return f2(p); }
static double f4at(const double *v) { V4 s = {v[0], v[1], v[2], v[3]}; return f4(s); }

int main(void) {
  static const double pts[][2] = {{1.5, 0.7}, {-0.4, 2.1}, {0.9, -1.3}};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(pts); i++) {
    double x = pts[i][0], y = pts[i][1];
    double wx = 2 * x * y + sin(y), wy = x * x + cos(y) * x;
#define W(s) (snprintf(what, sizeof what, "%s at (%g, %g)", s, x, y), what)
    CHECK_CLOSE(W("oracle d/dx vs finite differences"), wx, fd2(f2xy, x, y, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("oracle d/dy vs finite differences"), wy, fd2(f2xy, x, y, 1), RTOL_FD, ATOL_FD);
    V2 p = {x, y};
    V2 g = __enzyme_autodiff((void *)f2, p);
    CHECK_CLOSE(W("reverse V2 by value: d/dx"), g.x, wx, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse V2 by value: d/dy"), g.y, wy, RTOL_D, ATOL_D);

    // A complex number by value (two doubles): reverse mode returns its two adjoints in order.
    // f = x^3 - 3 x y^2 + y
    V2 gz = __enzyme_autodiff((void *)fz, x + y * I);
    CHECK_CLOSE(W("reverse complex by value: d/dre"), gz.x, 3 * x * x - 3 * y * y, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse complex by value: d/dim"), gz.y, -6 * x * y + 1, RTOL_D, ATOL_D);

    // Two floats: one <2 x float> value and its tangent.
    F2 q = {(float)x, (float)y}, dq = {1.0f, -2.0f};
    double u = q.u, v = q.v;
    double wq = (v * v - sin(u)) - 2.0 * (2 * u * v);
    CHECK_CLOSE(W("forward F2 by value along (1, -2)"), __enzyme_fwddiff_f((void *)ff, q, dq), wq, RTOL_F, 1e-5);

    // A struct returned by value: its tangent struct.
    V2 dr = __enzyme_fwddiff_v2((void *)rot, x, 1.0, y, 0.0);
    CHECK_CLOSE(W("forward V2 result d/dt .x"), dr.x, -y * sin(x), RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward V2 result d/dt .y"), dr.y, y * cos(x) * x + y * sin(x), RTOL_D, ATOL_D);
#undef W
  }
  // A large struct: passed in memory.
  double v[4] = {0.3, -1.1, 0.8, 1.7};
  double grad[4] = {v[1] + v[3] * exp(v[0] * v[3]), v[0], 2 * v[2] * v[3], v[2] * v[2] + v[0] * exp(v[0] * v[3])};
  for (int k = 0; k < 4; k++)
    CHECK_CLOSE("oracle V4 gradient vs finite differences", grad[k], fdv(f4at, v, 4, k), RTOL_FD, ATOL_FD);
  V4 s = {v[0], v[1], v[2], v[3]}, ds = {1.0, 0.5, -2.0, 0.25};
  double dir = grad[0] * 1.0 + grad[1] * 0.5 - grad[2] * 2.0 + grad[3] * 0.25;
  CHECK_CLOSE("forward V4 byval with its tangent by value", __enzyme_fwddiff((void *)f4, s, ds), dir, RTOL_D, ATOL_D);
  V4 gs = {0, 0, 0, 0};
  __enzyme_autodiff_v((void *)f4, enzyme_dup, s, &gs);
  CHECK_CLOSE("reverse V4 byval, gradient through &gs: a", gs.a, grad[0], RTOL_D, ATOL_D);
  CHECK_CLOSE("reverse V4 byval, gradient through &gs: b", gs.b, grad[1], RTOL_D, ATOL_D);
  CHECK_CLOSE("reverse V4 byval, gradient through &gs: c", gs.c, grad[2], RTOL_D, ATOL_D);
  CHECK_CLOSE("reverse V4 byval, gradient through &gs: d", gs.d, grad[3], RTOL_D, ATOL_D);
  CHECK_CLOSE("the primal struct is unchanged", s.a + s.b + s.c + s.d, v[0] + v[1] + v[2] + v[3], 0, 0);
  return check_report();
}
