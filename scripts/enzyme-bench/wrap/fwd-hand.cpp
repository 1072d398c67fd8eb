// ForwardMode/hand: dhand_objective (__enzyme_fwddiff, theta duplicated, the model const) on a
// generated model of ADBench's shape (22 bones, 544 vertices, 26 pose parameters) with 1000
// correspondences; the residual vector is reduced with fixed weights. fwd-hand-complicated
// runs dhand_objective_complicated (theta and the barycentric `us` duplicated).
#include "hand.cpp"
#include "bench_common.h"
static const int NB = 22, NV = 544, NC = 1000, NT = 26;
static Matrix *base_rel, *inv_abs, base_pos, wts, pts;
static int parents[NB], *corr;
static Triangle *tris;
static double *resw, *err, *derr, *dir;
static void rand_transform(Matrix *m) {
  m->nrows = m->ncols = 4;
  m->data = (double *)malloc(16 * sizeof(double));
  for (int c = 0; c < 4; c++)
    for (int r = 0; r < 4; r++) m->data[r + 4 * c] = (r == c) + (r < 3 ? 0.2 * (bench_rnd() - 0.5) : 0);
  m->data[3 + 4 * 3] = 1;
  for (int c = 0; c < 3; c++) m->data[3 + 4 * c] = 0;
}
#ifndef COMPLICATED
#define NACT NT
#else
#define NACT (NT + 2 * NC)
#endif
extern "C" double *bench_init(long *n) {
  *n = NACT;
  base_rel = (Matrix *)malloc(NB * sizeof(Matrix));
  inv_abs = (Matrix *)malloc(NB * sizeof(Matrix));
  for (int i = 0; i < NB; i++) {
    rand_transform(&base_rel[i]);
    rand_transform(&inv_abs[i]);
    parents[i] = i == 0 ? -1 : (i - 1) / 4 * 4 == i - 1 ? 0 : i - 1;
  }
  base_pos.nrows = 4, base_pos.ncols = NV, base_pos.data = bench_rvec(4 * NV, -1, 1);
  for (int v = 0; v < NV; v++) base_pos.data[3 + 4 * v] = 1;
  wts.nrows = NB, wts.ncols = NV, wts.data = bench_rvec(NB * NV, 0, 1);
  for (int v = 0; v < NV; v++) {
    double s = 0;
    for (int b = 0; b < NB; b++) s += wts.data[b + NB * v];
    for (int b = 0; b < NB; b++) wts.data[b + NB * v] /= s;
  }
  pts.nrows = 3, pts.ncols = NC, pts.data = bench_rvec(3 * NC, -1, 1);
  corr = (int *)malloc(NC * sizeof(int));
  tris = (Triangle *)malloc(NV * sizeof(Triangle));
  for (int i = 0; i < NC; i++) corr[i] = (int)(NV * bench_rnd());
  for (int i = 0; i < NV; i++)
    for (int k = 0; k < 3; k++) tris[i].verts[k] = (int)(NV * bench_rnd());
  resw = bench_rvec(3 * NC, -1, 1);
  err = (double *)malloc(3 * NC * sizeof(double));
  derr = (double *)malloc(3 * NC * sizeof(double));
  dir = bench_rvec(NACT, -1, 1);
  double *x = bench_rvec(NACT, -0.3, 0.3);
  for (int i = NT; i < NACT; i++) x[i] = 0.1 + 0.3 * bench_rnd();
  return x;
}
static double reduce(const double *e) {
  double s = 0;
  for (int i = 0; i < 3 * NC; i++) s += resw[i] * e[i];
  return s;
}
extern "C" double bench_primal(const double *x) {
#ifndef COMPLICATED
  hand_objective(x, NB, NULL, parents, base_rel, inv_abs, &base_pos, &wts, tris, 0, NC, corr, &pts, err);
#else
  hand_objective_complicated(x, x + NT, NB, NULL, parents, base_rel, inv_abs, &base_pos, &wts, tris, 0, NC, corr,
                             &pts, err);
#endif
  return reduce(err);
}
extern "C" void bench_grad_hand(double *v) { memcpy(v, dir, NACT * sizeof(double)); }
extern "C" void bench_grad_ferment(const double *x, double *out) {
#ifndef COMPLICATED
  dhand_objective(x, dir, NB, NULL, parents, base_rel, inv_abs, &base_pos, &wts, tris, 0, NC, corr, &pts, err, derr);
#else
  dhand_objective_complicated(x, dir, x + NT, dir + NT, NB, NULL, parents, base_rel, inv_abs, &base_pos, &wts, tris,
                              0, NC, corr, &pts, err, derr);
#endif
  out[0] = reduce(derr);
}
