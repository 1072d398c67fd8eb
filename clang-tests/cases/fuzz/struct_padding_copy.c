// A struct holding a double array and an int (`struct V4 { double a[4]; int n; }`, 4 bytes of
// padding after `n`) copied by value around a loop that updates the array at variable indices:
// the copies moved the padding as `i32` (LLVM's SROA splits a 40-byte `memcpy` into slices,
// the last one the padding, which clang's initializer zeroes with an `i32` store), and type
// analysis knows nothing of those bytes, so ferment refused the copy at -O0 and -O1: "'load
// i32 ...' reads memory that may hold floating-point data as an integer (the memory's type is
// Unknown)" (main f32a697). Now (plugin/src/retype.rs) copies of whole records declared as
// locals or by-value parameters are split by fields, which skips the padding (-O0), and an
// integer load from a stack slot whose every store that may reach its bytes stores an
// integer (the loop's stores bounded by scalar evolution) is no doubt (-O1). Also a copy
// written as `memcpy`, forward mode, and a record with a `float` array.
// Found by ferment-fuzz --variant abi (seeds 2880019, 2880036, 2930004, 2930005, ...).
// Oracles: central differences of the primal, forward against reverse; the analytic
// derivative of the single-precision case.
#include "check.h"
#include <string.h>

extern int enzyme_dup, enzyme_const, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

struct V4 {
  double a[4];
  int n;
};

static struct V4 v4_step(struct V4 s, double t) {
  for (int i = 0; i < s.n; i++)
    s.a[i] = s.a[i] * t + 0.25 * s.a[(i + 1) % 4];
  return s;
}

static double v4_norm(struct V4 s) {
  double r = 0.0;
  for (int i = 0; i < 4; i++)
    r += s.a[i] * s.a[i] * (i + 1);
  return sqrt(1.0 + r);
}

static double f(double x, double y) {
  struct V4 v = {{sin(x), y, x * y, 0.5}, 4};
  v = v4_step(v, 0.7);
  return v4_norm(v) + 0.1 * v.a[3];
}

// The same through `memcpy` and two steps.
static double g(double x, double y) {
  struct V4 v = {{x, cos(y), 0.5, x - y}, 3}, w;
  for (int k = 0; k < 2; k++) {
    w = v4_step(v, 0.5 + 0.1 * k);
    memcpy(&v, &w, sizeof v);
  }
  return v4_norm(v) * v.a[0];
}

struct F3 {
  float w[3];
  int n;
  double s;
};

static struct F3 f3_scale(struct F3 p, double t) {
  for (int i = 0; i < p.n; i++)
    p.w[i] = p.w[i] * (float)t;
  p.s = p.s * t + p.w[0];
  return p;
}

static double h(double x, double y) {
  struct F3 p = {{(float)x, 2.0f, (float)(x * y)}, 3, y};
  p = f3_scale(p, 1.5);
  p = f3_scale(p, y);
  return p.s + p.w[1] * p.w[2];
}

typedef double (*fn2)(double, double);

static void check_fn(const char *name, fn2 fun, double x, double y) {
  const double e = 1e-6;
  double gx = __enzyme_autodiff((void *)fun, enzyme_out, x, enzyme_const, y);
  double gy = __enzyme_autodiff((void *)fun, enzyme_const, x, enzyme_out, y);
  double fx = __enzyme_fwddiff((void *)fun, x, 1.0, enzyme_const, y);
  double fy = __enzyme_fwddiff((void *)fun, enzyme_const, x, y, 1.0);
  char what[64];
  snprintf(what, sizeof what, "%s d/dx vs FD", name);
  CHECK_CLOSE(what, gx, (fun(x + e, y) - fun(x - e, y)) / (2 * e), RTOL_FD, ATOL_FD);
  snprintf(what, sizeof what, "%s d/dy vs FD", name);
  CHECK_CLOSE(what, gy, (fun(x, y + e) - fun(x, y - e)) / (2 * e), RTOL_FD, ATOL_FD);
  snprintf(what, sizeof what, "%s d/dx fwd vs rev", name);
  CHECK_CLOSE(what, fx, gx, 1e-12, 1e-14);
  snprintf(what, sizeof what, "%s d/dy fwd vs rev", name);
  CHECK_CLOSE(what, fy, gy, 1e-12, 1e-14);
}

int main(void) {
  check_fn("f", f, 0.3, 0.8);
  check_fn("g", g, 0.4, -0.6);
  // h = 1.5 y^2 + 3 x y + 4.5 x y^3 (in single precision where the floats are)
  const double x = 0.7, y = 0.9;
  double hx = __enzyme_autodiff((void *)h, enzyme_out, x, enzyme_const, y);
  double hy = __enzyme_autodiff((void *)h, enzyme_const, x, enzyme_out, y);
  double fx = __enzyme_fwddiff((void *)h, x, 1.0, enzyme_const, y);
  CHECK_CLOSE("h d/dx analytic", hx, 3 * y + 4.5 * y * y * y, 1e-5, 1e-6);
  CHECK_CLOSE("h d/dy analytic", hy, 3 * y + 3 * x + 13.5 * x * y * y, 1e-5, 1e-6);
  CHECK_CLOSE("h d/dx fwd", fx, 3 * y + 4.5 * y * y * y, 1e-5, 1e-6);
  return check_report();
}
