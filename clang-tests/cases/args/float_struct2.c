// Two active floats: the reverse call returns a struct of two floats (x86-64: packed in one
// SSE register as <2 x float>).
#include "check.h"

typedef struct { float dx, dy; } F2;
F2 __enzyme_autodiff(void *, float, float);
float __enzyme_fwddiff(void *, float, float, float, float);

static float f(float x, float y) { return x * y + sinf(x) * y * y - x / (2.0f + y * y); }

int main(void) {
  static const float xs[] = {0.3f, -1.2f, 2.0f, 0.75f};
  static const float ys[] = {1.4f, 0.5f, -0.9f, -2.25f};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    float x = xs[i], y = ys[i];
    double X = x, Y = y, q = 2.0 + Y * Y;
    double wx = Y + cos(X) * Y * Y - 1.0 / q;
    double wy = X + 2.0 * sin(X) * Y + X * 2.0 * Y / (q * q);
#define W(s) (snprintf(what, sizeof what, "%s at (x, y) = (%g, %g)", s, X, Y), what)
    CHECK_CLOSE(W("oracle: d/dx vs float finite differences"), wx, fd2f(f, x, y, 0), RTOL_FDF, ATOL_FDF);
    CHECK_CLOSE(W("oracle: d/dy vs float finite differences"), wy, fd2f(f, x, y, 1), RTOL_FDF, ATOL_FDF);
    F2 r = __enzyme_autodiff((void *)f, x, y);
    CHECK_CLOSE(W("reverse {float, float} d/dx"), r.dx, wx, RTOL_F, ATOL_F);
    CHECK_CLOSE(W("reverse {float, float} d/dy"), r.dy, wy, RTOL_F, ATOL_F);
    CHECK_CLOSE(W("forward direction (1, -2)"), __enzyme_fwddiff((void *)f, x, 1.0f, y, -2.0f), wx - 2.0 * wy, RTOL_F, 1e-5);
#undef W
  }
  return check_report();
}
