// SSE2 sign tricks on some lanes of a double packet, as Eigen's SSE code writes them: an xor
// with {0.0, -0.0} negates lane 1 only, an and with {~sign, all ones} takes |lane 0|, an or
// with {0.0, -0.0} gives -|lane 1|. ferment reads these integer views as fneg/fabs of the
// lanes they touch (they were "reinterprets an active floating-point value as bits" errors:
// only masks covering every lane were understood). An `_mm_shuffle_epi32` on the integer view
// that swaps the doubles in 32-bit lanes (`<4 x i32>`) before `_mm_xor_pd`/`_mm_and_pd` (64-bit
// lanes) is read as a shuffle of the doubles then a sign operation (it was that error too; the
// 64-bit-lane form Eigen's 4x4 inverse compiles to, eigen/fixed_size_inverse.cpp, worked).
// Lanes are kept away from 0. Oracles: analytic derivatives, finite differences, forward vs
// reverse.
#include "check.h"
#include <emmintrin.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double lanes_sum(__m128d v) {
  double out[2];
  _mm_storeu_pd(out, v);
  return out[0] + 3.0 * out[1];
}

static double f(const double *x) {
  __m128d a = _mm_set_pd(x[1], x[0]); // lanes {x0, x1}
  __m128d neg1 = _mm_xor_pd(a, _mm_set_pd(-0.0, 0.0)); // {x0, -x1}
  // {|x0|, x1}: all bits but the sign in lane 0, all ones in lane 1
  __m128d abs0 = _mm_and_pd(a, _mm_castsi128_pd(_mm_set_epi64x(-1, 0x7fffffffffffffffLL)));
  __m128d nabs1 = _mm_or_pd(a, _mm_set_pd(-0.0, 0.0)); // {x0, -|x1|}
  // the sign flip of lane 1 on a product: {x0 x2, -x1 x2}, times a: {x0^2 x2, -x1^2 x2}
  __m128d p = _mm_mul_pd(a, _mm_set_pd(x[2], x[2]));
  __m128d q = _mm_mul_pd(_mm_xor_pd(p, _mm_set_pd(-0.0, 0.0)), a);
  // the doubles swapped in 32-bit lanes: {x1, x0}; then {x1, -x0} and {|x1|, x0}
  __m128i sw = _mm_shuffle_epi32(_mm_castpd_si128(a), _MM_SHUFFLE(1, 0, 3, 2));
  __m128d swn = _mm_xor_pd(_mm_castsi128_pd(sw), _mm_set_pd(-0.0, 0.0));
  __m128d swa = _mm_and_pd(_mm_castsi128_pd(sw),
                           _mm_castsi128_pd(_mm_set_epi64x(-1, 0x7fffffffffffffffLL)));
  return lanes_sum(neg1) + lanes_sum(_mm_mul_pd(abs0, abs0)) * 0.5 + lanes_sum(nabs1) * x[2] +
         lanes_sum(q) + lanes_sum(_mm_mul_pd(swn, a)) + lanes_sum(swa) * x[2];
}

// by hand: lanes_sum(v) = v0 + 3 v1
static void grad(const double *x, double *g) {
  double s1 = x[1] > 0 ? 1.0 : -1.0;
  // neg1: x0 - 3 x1; abs0^2 / 2: (x0^2 + 3 x1^2) / 2; nabs1 * x2: (x0 - 3|x1|) x2;
  // q: x0^2 x2 - 3 x1^2 x2; swn * a: x1 x0 - 3 x0 x1 = -2 x0 x1; swa * x2: (|x1| + 3 x0) x2
  g[0] = 1 + x[0] + x[2] + 2 * x[0] * x[2] - 2 * x[1] + 3 * x[2];
  g[1] = -3 + 3 * x[1] - 3 * s1 * x[2] - 6 * x[1] * x[2] - 2 * x[0] + s1 * x[2];
  g[2] = x[0] - 3 * fabs(x[1]) + x[0] * x[0] - 3 * x[1] * x[1] + fabs(x[1]) + 3 * x[0];
}

static double f_at(const double *x, const void *ctx) {
  (void)ctx;
  return f(x);
}

int main(void) {
  const double pts[3][3] = {{0.7, -1.3, 0.4}, {-0.9, 0.6, -1.1}, {1.5, 2.0, 0.3}};
  for (int k = 0; k < 3; k++) {
    double x[3], dx[3] = {0}, g[3], t[3] = {0.3, -0.7, 1.1};
    for (int i = 0; i < 3; i++) x[i] = pts[k][i];
    __enzyme_autodiff((void *)f, x, dx);
    grad(x, g);
    CHECK_ARRAY_CLOSE("df/dx vs analytic", dx, g, 3, RTOL_D, ATOL_D);
    CHECK_GRAD_FD("df/dx vs finite differences", f_at, 0, x, 3, dx, RTOL_FD, ATOL_FD);
    double jv = __enzyme_fwddiff((void *)f, x, t);
    CHECK_CLOSE("forward vs reverse", jv, dotv(dx, t, 3), RTOL_D, ATOL_D);
  }
  return check_report();
}
