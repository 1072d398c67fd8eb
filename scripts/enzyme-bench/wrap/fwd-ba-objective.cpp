// ForwardMode/ba, the whole objective: ba_objective over N_CAMS cameras, N_PTS points and
// N_OBS observations (generated; camera and point of each observation drawn at random),
// differentiated by __enzyme_fwddiff with cams, X and w duplicated and both residual arrays
// dupnoneed, along a direction over all of them; the residuals are reduced with fixed weights.
#include "ba.cpp"
#include "bench_common.h"
static const int N_CAMS = 21, N_PTS = 1000, N_OBS = 4000;
static const long NACT = N_CAMS * BA_NCAMPARAMS + 3 * N_PTS + N_OBS;
static int *obs;
static double *feats, *rw, *err, *werr, *derr, *dwerr, *dir;
extern "C" double *bench_init(long *n) {
  *n = NACT;
  double *x = bench_rvec(NACT, -0.4, 0.4);
  for (int c = 0; c < N_CAMS; c++) x[c * BA_NCAMPARAMS + 6] += 1.5;  // focal length
  double *X = x + N_CAMS * BA_NCAMPARAMS;
  for (int i = 0; i < N_PTS; i++) X[3 * i + 2] += 4.0;  // in front of the cameras
  double *w = X + 3 * N_PTS;
  for (int i = 0; i < N_OBS; i++) w[i] += 1.0;
  obs = (int *)malloc(2 * N_OBS * sizeof(int));
  for (int i = 0; i < N_OBS; i++) {
    obs[2 * i] = (int)(N_CAMS * bench_rnd());
    obs[2 * i + 1] = (int)(N_PTS * bench_rnd());
  }
  feats = bench_rvec(2 * N_OBS, -0.3, 0.3);
  rw = bench_rvec(3 * N_OBS, -1, 1);
  err = (double *)malloc(2 * N_OBS * sizeof(double));
  derr = (double *)malloc(2 * N_OBS * sizeof(double));
  werr = (double *)malloc(N_OBS * sizeof(double));
  dwerr = (double *)malloc(N_OBS * sizeof(double));
  dir = bench_rvec(NACT, -1, 1);
  return x;
}
static double reduce(const double *e, const double *we) {
  double s = 0;
  for (int i = 0; i < 2 * N_OBS; i++) s += rw[i] * e[i];
  for (int i = 0; i < N_OBS; i++) s += rw[2 * N_OBS + i] * we[i];
  return s;
}
extern "C" double bench_primal(const double *x) {
  const double *X = x + N_CAMS * BA_NCAMPARAMS;
  ba_objective(N_CAMS, N_PTS, N_OBS, x, X, X + 3 * N_PTS, obs, feats, err, werr);
  return reduce(err, werr);
}
#ifndef REVERSE
extern "C" void bench_grad_hand(double *v) { memcpy(v, dir, NACT * sizeof(double)); }
extern "C" void bench_grad_ferment(const double *x, double *out) {
  const double *X = x + N_CAMS * BA_NCAMPARAMS;
  double *dX = dir + N_CAMS * BA_NCAMPARAMS;
  __enzyme_fwddiff(ba_objective, enzyme_const, N_CAMS, enzyme_const, N_PTS, enzyme_const, N_OBS,
                   enzyme_dup, x, dir, enzyme_dup, X, dX, enzyme_dup, X + 3 * N_PTS, dX + 3 * N_PTS,
                   enzyme_const, obs, enzyme_const, feats, enzyme_dupnoneed, err, derr,
                   enzyme_dupnoneed, werr, dwerr);
  out[0] = reduce(derr, dwerr);
}
#else
// The gradient of the reduced residuals, in reverse mode: the residual shadows hold the
// reduction's weights, consumed by the derivative.
extern "C" void __enzyme_autodiff(...) noexcept;
extern "C" void bench_grad_hand(double *) {}
extern "C" void bench_grad_ferment(const double *x, double *g) {
  const double *X = x + N_CAMS * BA_NCAMPARAMS;
  memset(g, 0, NACT * sizeof(double));
  memcpy(derr, rw, 2 * N_OBS * sizeof(double));
  memcpy(dwerr, rw + 2 * N_OBS, N_OBS * sizeof(double));
  __enzyme_autodiff(ba_objective, enzyme_const, N_CAMS, enzyme_const, N_PTS, enzyme_const, N_OBS,
                    enzyme_dup, x, g, enzyme_dup, X, g + N_CAMS * BA_NCAMPARAMS, enzyme_dup,
                    X + 3 * N_PTS, g + N_CAMS * BA_NCAMPARAMS + 3 * N_PTS, enzyme_const, obs,
                    enzyme_const, feats, enzyme_dupnoneed, err, derr, enzyme_dupnoneed, werr, dwerr);
}
#endif
