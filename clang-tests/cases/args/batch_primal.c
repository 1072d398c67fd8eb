// __enzyme_batch (Enzyme's vectorized primal): enzyme_width N, then per parameter N values
// (enzyme_vector, the default) or one shared value (enzyme_scalar); the N results come back as
// the declared aggregate (a struct of 4 doubles: through sret; 2 floats: in registers), a void
// function runs once per lane, and a batched function may itself take a derivative.
// Oracles: the function called directly, lane by lane; an analytic derivative.
#include "check.h"

extern int enzyme_width, enzyme_vector, enzyme_scalar;
typedef struct {
  double a, b, c, d;
} Vec4;
typedef struct {
  float a, b;
} Vec2f;
Vec4 __enzyme_batch(void *, ...);
Vec2f __enzyme_batch_f(void *, ...) __asm__("__enzyme_batch");
void __enzyme_batch_v(void *, ...) __asm__("__enzyme_batch");
double __enzyme_fwddiff(void *, ...);

double affine(double x, double scale, int shift) { return scale * x * x + shift; }
float halve(float x) { return 0.5f * x; }
void store_sq(const double *x, double *out) { *out = *x * *x; }
double cube(double x) { return x * x * x; }
double dcube(double x) { return __enzyme_fwddiff((void *)cube, x, 1.0); }

int main(void) {
  double x[4] = {1.5, -2.0, 0.25, 3.0};
  Vec4 r = __enzyme_batch((void *)affine, enzyme_width, 4, enzyme_vector, x[0], x[1], x[2], x[3],
                          enzyme_scalar, 0.5, 3, 4, 5, 6);
  CHECK_CLOSE("lane 0", r.a, affine(x[0], 0.5, 3), 0, 0);
  CHECK_CLOSE("lane 1", r.b, affine(x[1], 0.5, 4), 0, 0);
  CHECK_CLOSE("lane 2", r.c, affine(x[2], 0.5, 5), 0, 0);
  CHECK_CLOSE("lane 3", r.d, affine(x[3], 0.5, 6), 0, 0);

  Vec2f h = __enzyme_batch_f((void *)halve, enzyme_width, 2, 3.0f, 5.0f);
  CHECK_CLOSE("float lanes (promoted through ...)", h.a + 10 * h.b, 1.5 + 25.0, 0, 0);

  double out[3] = {0};
  __enzyme_batch_v((void *)store_sq, enzyme_width, 3, &x[0], &x[1], &x[2], &out[0], &out[1],
                   &out[2]);
  for (int k = 0; k < 3; k++)
    CHECK_CLOSE("void function, lane by lane", out[k], x[k] * x[k], 0, 0);

  Vec4 d = __enzyme_batch((void *)dcube, enzyme_width, 4, x[0], x[1], x[2], x[3]);
  double got[4] = {d.a, d.b, d.c, d.d};
  for (int k = 0; k < 4; k++)
    CHECK_CLOSE("batched derivative: 3 x^2", got[k], 3 * x[k] * x[k], RTOL_D, ATOL_D);
  return check_report();
}
