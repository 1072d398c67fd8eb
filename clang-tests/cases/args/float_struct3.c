// Three active floats: a 12-byte struct of floats comes back in two SSE registers
// ({<2 x float>, float} on x86-64); also a mixed float/double function.
#include "check.h"

typedef struct { float a, b, c; } F3;
F3 __enzyme_autodiff(void *, float, float, float);

static float f(float x, float y, float z) { return x * y * z + expf(0.5f * x) - y / z; }

int main(void) {
  static const float xs[] = {0.3f, -1.2f, 2.0f};
  static const float ys[] = {1.4f, 0.5f, -0.9f};
  static const float zs[] = {0.8f, -2.0f, 1.6f};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double X = xs[i], Y = ys[i], Z = zs[i];
    double wx = Y * Z + 0.5 * exp(0.5 * X), wy = X * Z - 1.0 / Z, wz = X * Y + Y / (Z * Z);
#define W(s) (snprintf(what, sizeof what, "%s at (%g, %g, %g)", s, X, Y, Z), what)
    F3 r = __enzyme_autodiff((void *)f, xs[i], ys[i], zs[i]);
    CHECK_CLOSE(W("reverse {float,float,float} d/dx"), r.a, wx, RTOL_F, ATOL_F);
    CHECK_CLOSE(W("reverse {float,float,float} d/dy"), r.b, wy, RTOL_F, ATOL_F);
    CHECK_CLOSE(W("reverse {float,float,float} d/dz"), r.c, wz, RTOL_F, ATOL_F);
#undef W
  }
  return check_report();
}
