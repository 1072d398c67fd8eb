// ForwardMode/gmm: dgmm_objective (__enzyme_fwddiff, alphas, means, icf duplicated) at d=10,
// K=25, n=1000, along one direction; fwd-gmm-vec runs the program's dgmm_objective_vec<4>
// (enzyme_width 4, enzyme_dupv) instead. Inputs generated as in rev-gmm.cpp.
#include "gmm.cpp"
#include "bench_common.h"
static const int D = 10, K = 25, NP = 1000, ICF = D * (D + 1) / 2, NA = K + D * K + ICF * K;
static double *xs, *dir;
static Wishart wish = {1.0, 0};
extern "C" double *bench_init(long *n) {
  *n = NA;
  xs = bench_rvec(D * NP, -1, 1);
  double *p = bench_rvec(NA, -0.5, 0.5);
  dir = bench_rvec(4 * NA, -1, 1);  // 4 directions (the vector version's lanes)
  return p;
}
extern "C" double bench_primal(const double *p) {
  double e = 0;
  gmm_objective(D, K, NP, p, p + K, p + K + D * K, xs, wish, &e);
  return e;
}
#ifndef GMM_VEC
extern "C" void bench_grad_hand(double *v) { memcpy(v, dir, NA * sizeof(double)); }
extern "C" void bench_grad_ferment(const double *p, double *out) {
  double e = 0, ed = 0;
  dgmm_objective(D, K, NP, p, dir, p + K, dir + K, p + K + D * K, dir + K + D * K, xs, wish, &e, &ed);
  out[0] = ed;
}
#else
// lane k's seed is dir_k; the result checked is 1*d_0 + 2*d_1 - 1*d_2 + 0.5*d_3, the derivative
// along 1*dir_0 + 2*dir_1 - dir_2 + 0.5*dir_3.
static const double c[4] = {1, 2, -1, 0.5};
static double *al, *me, *ic;
extern "C" void bench_grad_hand(double *v) {
  for (int i = 0; i < NA; i++) v[i] = c[0] * dir[i] + c[1] * dir[NA + i] + c[2] * dir[2 * NA + i] + c[3] * dir[3 * NA + i];
  al = (double *)malloc(4 * K * sizeof(double));
  me = (double *)malloc(4 * D * K * sizeof(double));
  ic = (double *)malloc(4 * ICF * K * sizeof(double));
  for (int l = 0; l < 4; l++) {
    memcpy(al + l * K, dir + l * NA, K * sizeof(double));
    memcpy(me + l * D * K, dir + l * NA + K, D * K * sizeof(double));
    memcpy(ic + l * ICF * K, dir + l * NA + K + D * K, ICF * K * sizeof(double));
  }
}
extern "C" void bench_grad_ferment(const double *p, double *out) {
  double e = 0, ed[4] = {0, 0, 0, 0};
  dgmm_objective_vec<4>(D, K, NP, p, al, K, p + K, me, D * K, p + K + D * K, ic, ICF * K, xs, wish, &e, ed);
  out[0] = c[0] * ed[0] + c[1] * ed[1] + c[2] * ed[2] + c[3] * ed[3];
}
#endif
