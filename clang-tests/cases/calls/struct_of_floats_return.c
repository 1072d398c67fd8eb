// CFLAGS: -mllvm -ferment-no-inline
// Calls that stay calls and return small structs by value in registers: {double, double}
// (a 2-vector), {double, int}, {double*, double}, and a 24-byte struct (returned through
// memory). Their derivatives must come back out of the struct: they once were silently
// dropped for the register-returned ones. Reverse and forward mode, recursion beside them.
// Oracles: central finite differences, forward vs reverse.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

struct v2 { double x, y; };
struct v3 { double x, y, z; };
struct di { double v; int k; };
struct pd { double *p; double s; };

__attribute__((noinline)) struct v2 add2(struct v2 a, struct v2 b) {
  struct v2 r = {a.x + b.x * b.y, a.y * sin(b.x)};
  return r;
}
__attribute__((noinline)) struct v3 cross(struct v3 a, struct v3 b) {
  struct v3 r = {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
  return r;
}
__attribute__((noinline)) struct di scale(double v, int k) {
  struct di r = {v * k, k + 1};
  return r;
}
__attribute__((noinline)) struct pd shift(double *p, double s) {
  struct pd r = {p + 1, s * p[0]};
  return r;
}
__attribute__((noinline)) double rec(const double *x, int n) {
  return n == 0 ? 1.0 : x[n - 1] * rec(x, n - 1) + sin(x[n - 1]);
}

static double f(const double *x, const void *ctx) {
  (void)ctx;
  struct v2 a = {x[0], x[1]}, b = {x[2], x[3]};
  struct v2 c = add2(a, b);
  struct v3 u = {x[0], x[1], x[2]}, v = {x[3], x[0], x[1]};
  struct v3 w = cross(u, v);
  struct di d = scale(x[3], 3);
  double buf[3] = {x[0] * x[1], x[2], x[3]};
  struct pd q = shift(buf, x[2]);
  return c.x * c.y + w.x + w.y * w.z + d.v * d.k + q.p[0] * q.s + rec(x, 4);
}

__attribute__((noinline)) double g(const double *x) { return f(x, 0); }

int main(void) {
  double x[4] = {0.7, -0.4, 1.3, 0.6}, dx[4] = {0, 0, 0, 0};
  __enzyme_autodiff((void *)g, x, dx);
  CHECK_GRAD_FD("structs returned by value", f, 0, x, 4, dx, RTOL_FD, ATOL_FD);
  double t[4] = {0.3, -1.1, 0.8, 0.2}, rev = 0;
  for (int i = 0; i < 4; i++) rev += dx[i] * t[i];
  CHECK_CLOSE("forward vs reverse", __enzyme_fwddiff((void *)g, x, t), rev, RTOL_D, ATOL_D);
  return check_report();
}
