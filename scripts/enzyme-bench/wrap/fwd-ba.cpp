// ForwardMode/ba: the program's dcompute_reproj_error (cam, X, w duplicated, the residual
// dupnoneed) and dcompute_zach_weight_error on one observation, along a direction over
// (cam 11, X 3, w 1); the objective is e0 + 0.7 e1 + 0.3 z.
#include "ba.cpp"
#include "bench_common.h"
static double feat[2] = {0.3, -0.2}, *dir;
extern "C" double *bench_init(long *n) {
  *n = 15;  // cam 11, X 3, w 1
  double *p = bench_rvec(15, -0.4, 0.4);
  p[6] += 1.5;   // focal length
  p[13] += 4.0;  // the point in front of the camera
  p[14] += 1.0;  // weight
  dir = bench_rvec(15, -1, 1);
  return p;
}
extern "C" double bench_primal(const double *p) {
  double e[2], z;
  compute_reproj_error(p, p + 11, p + 14, feat, e);
  compute_zach_weight_error(p + 14, &z);
  return e[0] + 0.7 * e[1] + 0.3 * z;
}
extern "C" void bench_grad_hand(double *v) { memcpy(v, dir, 15 * sizeof(double)); }
extern "C" void bench_grad_ferment(const double *p, double *out) {
  double e[2], de[2], z, dz, d[15];
  memcpy(d, dir, sizeof d);
  dcompute_reproj_error(p, d, p + 11, d + 11, p + 14, d + 14, feat, e, de);
  dcompute_zach_weight_error(p + 14, d + 14, &z, &dz);
  out[0] = de[0] + 0.7 * de[1] + 0.3 * dz;
}
