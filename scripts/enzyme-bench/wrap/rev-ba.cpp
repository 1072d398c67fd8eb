// ReverseMode/ba: dcompute_reproj_error_restrict (cam, X, w active; both residuals, seeds 1
// and 0.7) plus 0.3 * dcompute_zach_weight_error_restrict, one observation.
#include "ba.cpp"
#include "bench_common.h"
static double feat[2] = {0.3, -0.2};
extern "C" double *bench_init(long *n) {
  *n = 15;  // cam 11, X 3, w 1
  double *p = bench_rvec(15, -0.4, 0.4);
  p[6] += 1.5;   // focal length
  p[13] += 4.0;  // the point in front of the camera
  p[14] += 1.0;  // weight
  return p;
}
extern "C" double bench_primal(const double *p) {
  double e[2], z;
  compute_reproj_error_restrict(p, p + 11, p + 14, feat, e);
  compute_zach_weight_error_restrict(p + 14, &z);
  return e[0] + 0.7 * e[1] + 0.3 * z;
}
extern "C" void bench_grad_ferment(const double *p, double *g) {
  double e[2], de[2] = {1, 0.7}, z, dz = 0.3, dw = 0;
  memset(g, 0, 15 * sizeof(double));
  dcompute_reproj_error_restrict(p, g, p + 11, g + 11, p + 14, g + 14, feat, e, de);
  dcompute_zach_weight_error_restrict(p + 14, &dw, &z, &dz);
  g[14] += dw;
}
extern "C" void bench_grad_hand(double *) {}
