// A struct with an array and an int field (`struct V4 { double a[4]; int n; }`, 4 bytes of
// padding at offset 36) passed to and returned from a helper by value, the helper updating the
// array in a loop: the copy reads the padding as `i32` (clang stores 0 into it at the
// initializer) and type analysis sees offset 36 as possibly double, because the loop's walker
// (`&s.a[i]`, stride 8) makes the memory periodic past the array: "'load i32 ...' reads memory
// that may hold floating-point data as an integer (the memory's type is Unknown)" at -O0 and -O1
// (passes at -O2; passes at every level with `long n`, no padding, or without the loop).
// Found by ferment-fuzz --variant abi (seeds 2880019, 2880036). Open: a clean refusal of a valid
// program.
// Oracle: central differences of f.
#include "check.h"

extern int enzyme_dup, enzyme_const, enzyme_out;
double __enzyme_autodiff(void *, ...);

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

int main(void) {
  const double x = 0.3, y = 0.8, e = 1e-6;
  double g = __enzyme_autodiff((void *)f, enzyme_out, x, enzyme_const, y);
  CHECK_CLOSE("df/dx vs FD", g, (f(x + e, y) - f(x - e, y)) / (2 * e), RTOL_FD, ATOL_FD);
  return check_report();
}
