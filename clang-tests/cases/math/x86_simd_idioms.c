// CFLAGS: -msse4.1
// x86 SIMD idioms numerical libraries use (Eigen's SSE code among them): minima and maxima
// written as inline assembly (`minpd $1, $0`), an empty asm optimization barrier, SSE3
// horizontal additions (llvm.x86.sse3.hadd.pd) and SSE4.1 rounding (llvm.x86.sse41.round.pd)
// differentiate as what they compute. Oracles: analytic derivatives, finite differences.
#include "check.h"
#include <immintrin.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static __m128d asm_min(__m128d a, __m128d b) {
  __asm__("minpd %[a], %[b]" : [b] "+x"(b) : [a] "x"(a));
  return b;
}
static __m128d asm_max(__m128d a, __m128d b) {
  __asm__("maxpd %[a], %[b]" : [b] "+x"(b) : [a] "x"(a));
  return b;
}

// f(x, y) = sum over lanes of min(x, y) * max(x, y)^2 + horizontal sums + floor(x) * y
static double f(double x0, double x1, double y0, double y1) {
  __m128d x = _mm_set_pd(x1, x0), y = _mm_set_pd(y1, y0);
  __m128d lo = asm_min(x, y), hi = asm_max(x, y);
  __m128d prod = _mm_mul_pd(lo, _mm_mul_pd(hi, hi));
  __m128d h = _mm_hadd_pd(prod, _mm_mul_pd(x, y));
  __m128d fl = _mm_floor_pd(x);
  __m128d g = _mm_add_pd(h, _mm_mul_pd(fl, y));
  double out[2];
  _mm_storeu_pd(out, g);
  return out[0] + 2.0 * out[1];
}
static double fx0(double v) { return f(v, -0.7, 0.4, 1.9); }
static double fy1(double v) { return f(1.3, -0.7, 0.4, v); }

typedef struct {
  double d[4];
} grad4;
grad4 __enzyme_autodiff4(void *, double, double, double, double) __asm__("__enzyme_autodiff");

int main(void) {
  double x0 = 1.3, x1 = -0.7, y0 = 0.4, y1 = 1.9;
  grad4 g = __enzyme_autodiff4((void *)f, x0, x1, y0, y1);
  // lane 0: min = y0, max = x0; lane 1: min = x1, max = y1.
  // f = y0 x0^2 + x1 y1^2 + 2 (x0 y0 + x1 y1) + floor(x0) y0 + 2 floor(x1) y1
  CHECK_CLOSE("d/dx0", g.d[0], 2 * y0 * x0 + 2 * y0, RTOL_D, ATOL_D);
  CHECK_CLOSE("d/dx1", g.d[1], y1 * y1 + 2 * y1, RTOL_D, ATOL_D);
  CHECK_CLOSE("d/dy0", g.d[2], x0 * x0 + 2 * x0 + floor(x0), RTOL_D, ATOL_D);
  CHECK_CLOSE("d/dy1", g.d[3], 2 * x1 * y1 + 2 * x1 + 2 * floor(x1), RTOL_D, ATOL_D);
  CHECK_CLOSE("d/dx0 vs finite differences", g.d[0], fd1(fx0, x0), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("d/dy1 vs finite differences", g.d[3], fd1(fy1, y1), RTOL_FD, ATOL_FD);
  double t = __enzyme_fwddiff((void *)f, x0, 1.0, x1, 0.0, y0, 0.0, y1, 1.0);
  CHECK_CLOSE("forward vs reverse", t, g.d[0] + g.d[3], RTOL_D, ATOL_D);
  return check_report();
}
