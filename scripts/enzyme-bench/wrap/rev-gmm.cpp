// ReverseMode/gmm: dgmm_objective (alphas, means, icf active) at d=10, K=25, n=1000
// (ADBench's gmm_d10_K25 with 1k points), inputs generated here.
#include "gmm.cpp"
#include "bench_common.h"
static const int D = 10, K = 25, NP = 1000, ICF = D * (D + 1) / 2;
static double *xs;
static Wishart wish = {1.0, 0};
extern "C" double *bench_init(long *n) {
  *n = K + D * K + ICF * K;
  xs = bench_rvec(D * NP, -1, 1);
  return bench_rvec(*n, -0.5, 0.5);
}
extern "C" double bench_primal(const double *p) {
  double e = 0;
  gmm_objective(D, K, NP, p, p + K, p + K + D * K, xs, wish, &e);
  return e;
}
extern "C" void bench_grad_ferment(const double *p, double *g) {
  double e = 0, eb = 1;
  memset(g, 0, (K + D * K + ICF * K) * sizeof(double));
  dgmm_objective(D, K, NP, p, g, p + K, g + K, p + K + D * K, g + K + D * K, xs, wish, &e, &eb);
}
extern "C" void bench_grad_hand(double *) {}
