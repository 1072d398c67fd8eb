// An extended Kalman filter for a damped pendulum with a noisy angle sensor and a range sensor,
// as an estimation code writes it: small dense matrices in structs (Mat3 with a double m[3][3]),
// a Jacobian of the motion model written by hand, the innovation covariance inverted by
// Gauss-Jordan elimination with partial pivoting (fabs comparisons, row swaps through a temp
// row), Joseph-form covariance update, and the filter's negative log-likelihood accumulated
// over a measurement sequence. The user wants its gradient with respect to the model parameters
// (damping, length, process and sensor noise) and the initial state: reverse mode, forward
// mode, and split mode (__enzyme_augmentfwd / __enzyme_reverse with the tape).
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences,
// forward vs reverse, split vs one-call reverse.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

#define NS 3 /* state: angle, angular velocity, bias of the angle sensor */
#define NZ 2 /* measurements: angle + bias, horizontal range */
#define NT 24

typedef struct { double m[NS][NS]; } Mat3;
typedef struct { double m[NZ][NZ]; } Mat2;

typedef struct {
  double x[NS];
  Mat3 P;
} Belief;

static const double DT = 0.05, G = 9.81;

static void mat3_mul(const Mat3 *a, const Mat3 *b, Mat3 *c) {
  for (int i = 0; i < NS; i++)
    for (int j = 0; j < NS; j++) {
      double s = 0.0;
      for (int k = 0; k < NS; k++) s += a->m[i][k] * b->m[k][j];
      c->m[i][j] = s;
    }
}

static void mat3_transpose(const Mat3 *a, Mat3 *t) {
  for (int i = 0; i < NS; i++)
    for (int j = 0; j < NS; j++) t->m[j][i] = a->m[i][j];
}

/* inverse of a small matrix by Gauss-Jordan with partial pivoting; returns 0 if singular */
static int gauss_jordan_inv2(const Mat2 *a, Mat2 *inv) {
  double w[NZ][2 * NZ];
  for (int i = 0; i < NZ; i++)
    for (int j = 0; j < 2 * NZ; j++) w[i][j] = j < NZ ? a->m[i][j] : (j - NZ == i ? 1.0 : 0.0);
  for (int c = 0; c < NZ; c++) {
    int p = c;
    for (int r = c + 1; r < NZ; r++)
      if (fabs(w[r][c]) > fabs(w[p][c])) p = r;
    if (fabs(w[p][c]) < 1e-300) return 0;
    if (p != c) {
      double tmp[2 * NZ];
      memcpy(tmp, w[c], sizeof tmp);
      memcpy(w[c], w[p], sizeof tmp);
      memcpy(w[p], tmp, sizeof tmp);
    }
    double piv = w[c][c];
    for (int j = 0; j < 2 * NZ; j++) w[c][j] /= piv;
    for (int r = 0; r < NZ; r++) {
      if (r == c) continue;
      double f = w[r][c];
      for (int j = 0; j < 2 * NZ; j++) w[r][j] -= f * w[c][j];
    }
  }
  for (int i = 0; i < NZ; i++)
    for (int j = 0; j < NZ; j++) inv->m[i][j] = w[i][NZ + j];
  return 1;
}

/* par: damping, length, q (process noise), r_angle, r_range */
static void predict(Belief *b, const double *par) {
  double th = b->x[0], om = b->x[1];
  double c = par[0], L = par[1], q = par[2];
  b->x[0] = th + DT * om;
  b->x[1] = om + DT * (-G / L * sin(th) - c * om);
  Mat3 F = {{{1, DT, 0}, {-DT * G / L * cos(th), 1 - DT * c, 0}, {0, 0, 1}}};
  Mat3 FP, Ft, FPFt;
  mat3_mul(&F, &b->P, &FP);
  mat3_transpose(&F, &Ft);
  mat3_mul(&FP, &Ft, &FPFt);
  b->P = FPFt;
  b->P.m[0][0] += q * DT * DT * DT / 3;
  b->P.m[0][1] += q * DT * DT / 2;
  b->P.m[1][0] += q * DT * DT / 2;
  b->P.m[1][1] += q * DT;
  b->P.m[2][2] += 1e-6;
}

/* returns the negative log-likelihood of z */
static double update(Belief *b, const double *z, const double *par) {
  double L = par[1];
  double th = b->x[0];
  double h[NZ] = {th + b->x[2], L * sin(th)};
  double H[NZ][NS] = {{1, 0, 1}, {L * cos(th), 0, 0}};
  double y[NZ] = {z[0] - h[0], z[1] - h[1]};
  double PHt[NS][NZ];
  for (int i = 0; i < NS; i++)
    for (int j = 0; j < NZ; j++) {
      double s = 0.0;
      for (int k = 0; k < NS; k++) s += b->P.m[i][k] * H[j][k];
      PHt[i][j] = s;
    }
  Mat2 S, Si;
  for (int i = 0; i < NZ; i++)
    for (int j = 0; j < NZ; j++) {
      double s = 0.0;
      for (int k = 0; k < NS; k++) s += H[i][k] * PHt[k][j];
      S.m[i][j] = s;
    }
  S.m[0][0] += par[3] * par[3];
  S.m[1][1] += par[4] * par[4];
  if (!gauss_jordan_inv2(&S, &Si)) return 1e30;
  double K[NS][NZ];
  for (int i = 0; i < NS; i++)
    for (int j = 0; j < NZ; j++) K[i][j] = PHt[i][0] * Si.m[0][j] + PHt[i][1] * Si.m[1][j];
  for (int i = 0; i < NS; i++) b->x[i] += K[i][0] * y[0] + K[i][1] * y[1];
  /* Joseph form: P = (I - K H) P (I - K H)^T + K R K^T */
  Mat3 A, AP, At, APAt;
  for (int i = 0; i < NS; i++)
    for (int j = 0; j < NS; j++) A.m[i][j] = (i == j) - (K[i][0] * H[0][j] + K[i][1] * H[1][j]);
  mat3_mul(&A, &b->P, &AP);
  mat3_transpose(&A, &At);
  mat3_mul(&AP, &At, &APAt);
  for (int i = 0; i < NS; i++)
    for (int j = 0; j < NS; j++)
      APAt.m[i][j] += K[i][0] * K[j][0] * par[3] * par[3] + K[i][1] * K[j][1] * par[4] * par[4];
  b->P = APAt;
  double det = S.m[0][0] * S.m[1][1] - S.m[0][1] * S.m[1][0];
  double maha = y[0] * (Si.m[0][0] * y[0] + Si.m[0][1] * y[1]) + y[1] * (Si.m[1][0] * y[0] + Si.m[1][1] * y[1]);
  return 0.5 * (maha + log(det) + NZ * log(2 * M_PI));
}

/* the filter's negative log-likelihood over the whole sequence */
double ekf_nll(const double *par, const double *x0, const double *zs) {
  Belief b;
  memset(&b, 0, sizeof b);
  for (int i = 0; i < NS; i++) b.x[i] = x0[i];
  b.P.m[0][0] = 0.1, b.P.m[1][1] = 0.2, b.P.m[2][2] = 0.01;
  double nll = 0.0;
  for (int t = 0; t < NT; t++) {
    predict(&b, par);
    nll += update(&b, zs + NZ * t, par);
  }
  return nll;
}

static double nll_of_par(const double *p, const void *ctx) {
  const double *const *c = ctx;
  return ekf_nll(p, c[0], c[1]);
}

int main(void) {
  double zs[NZ * NT];
  double th = 0.6, om = 0.0;
  unsigned seed = 7;
  for (int t = 0; t < NT; t++) { /* a simulated noisy trajectory */
    th += DT * om;
    om += DT * (-G / 1.1 * sin(th) - 0.3 * om);
    zs[NZ * t] = th + 0.02 + 0.03 * prand(&seed);
    zs[NZ * t + 1] = 1.1 * sin(th) + 0.02 * prand(&seed);
  }
  double par[5] = {0.25, 1.0, 0.5, 0.05, 0.04};
  double x0[NS] = {0.5, 0.1, 0.0};
  double dpar[5] = {0}, dx0[NS] = {0};
  __enzyme_autodiff((void *)ekf_nll, enzyme_dup, par, dpar, enzyme_dup, x0, dx0, enzyme_const, zs);
  const double *ctx[2] = {x0, zs};
  CHECK_GRAD_FD("dnll/dpar", nll_of_par, ctx, par, 5, dpar, 1e-5, 1e-7);
  CHECK_ARRAY_FD("dnll/dx0", x0, NS, dx0, 1e-6, ekf_nll(par, x0, zs), 1e-5, 1e-7);

  double tp[5] = {0.1, -0.2, 0.3, 0.05, -0.1}, tx[NS] = {0.2, 0.1, -0.3};
  double tan = __enzyme_fwddiff((void *)ekf_nll, enzyme_dup, par, tp, enzyme_dup, x0, tx, enzyme_const, zs);
  CHECK_CLOSE("forward vs reverse", tan, dotv(dpar, tp, 5) + dotv(dx0, tx, NS), 1e-9, 1e-11);

  double sp[5] = {0}, sx[NS] = {0};
  void *tape = __enzyme_augmentfwd((void *)ekf_nll, enzyme_dup, par, sp, enzyme_dup, x0, sx, enzyme_const, zs);
  __enzyme_reverse((void *)ekf_nll, enzyme_dup, par, sp, enzyme_dup, x0, sx, enzyme_const, zs, 1.0, tape);
  CHECK_ARRAY_CLOSE("split dpar", sp, dpar, 5, 1e-12, 1e-14);
  CHECK_ARRAY_CLOSE("split dx0", sx, dx0, NS, 1e-12, 1e-14);
  return check_report();
}
