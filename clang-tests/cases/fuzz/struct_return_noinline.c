// Regression (fuzzer, seed 31 of the widened generator): a helper that is not inlined
// (-ferment-no-inline, or recursion) and returns a small struct of doubles by value, which the
// C ABI returns as the aggregate `{ double, double }`. The call's result was treated as
// constant: forward and reverse both gave a derivative of 0 with no diagnostic. Oracles: the
// analytic derivative and central finite differences, forward and reverse, batched forward.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"

struct P2 {
  double x, y;
};
typedef struct {
  double d[2];
} Lanes2;
double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff(void *, ...);
Lanes2 __enzyme_fwddiff_lanes(void *, ...);
extern int enzyme_width;

static inline struct P2 pair(double a, double b) {
  struct P2 r = {tanh(b + atan2(b, -1.5)), a * sin(b)};
  return r;
}

/* Recursive: never inlined. Returns (x, y) rotated d times by the angle t. */
static struct P2 rot(struct P2 p, double t, int d) {
  if (d == 0)
    return p;
  struct P2 q = {cos(t) * p.x - sin(t) * p.y, sin(t) * p.x + cos(t) * p.y};
  return rot(q, t, d - 1);
}

double f(double s) {
  struct P2 r = pair(s, 0.5 * s);
  struct P2 q = rot(r, 0.3 * s, 3);
  return 0.2 * r.x - 0.25 * r.y + q.x * q.y;
}

/* The same by hand: pair's fields and their derivatives, then the rotation by 0.9 s. */
static double df_exact(double s) {
  double b = 0.5 * s, db = 0.5;
  double th = tanh(b + atan2(b, -1.5));
  double x = th;
  double dx = (1.0 - th * th) * (db + (-1.5) / (2.25 + b * b) * db);
  double y = s * sin(b), dy = sin(b) + s * cos(b) * db;
  double t = 0.9 * s, dt = 0.9;
  double qx = cos(t) * x - sin(t) * y;
  double qy = sin(t) * x + cos(t) * y;
  double dqx = -sin(t) * dt * x + cos(t) * dx - cos(t) * dt * y - sin(t) * dy;
  double dqy = cos(t) * dt * x + sin(t) * dx - sin(t) * dt * y + cos(t) * dy;
  return 0.2 * dx - 0.25 * dy + dqx * qy + qx * dqy;
}

int main(void) {
  const double xs[] = {0.7, -1.1, 2.3};
  for (int i = 0; i < 3; i++) {
    double x = xs[i], h = 1e-6;
    double want = df_exact(x);
    double fd = (f(x + h) - f(x - h)) / (2 * h);
    CHECK_CLOSE_AT("analytic vs finite differences", x, want, fd, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("forward", x, __enzyme_fwddiff((void *)f, x, 1.0), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse", x, __enzyme_autodiff((void *)f, x), want, RTOL_D, ATOL_D);
    Lanes2 l = __enzyme_fwddiff_lanes((void *)f, enzyme_width, 2, x, 1.0, -2.0);
    CHECK_CLOSE_AT("batched lane 0", x, l.d[0], want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("batched lane 1", x, l.d[1], -2.0 * want, RTOL_D, ATOL_D);
  }
  return check_report();
}
