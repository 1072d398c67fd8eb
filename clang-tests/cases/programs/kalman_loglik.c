// A linear Kalman filter as a tracking code writes it: a constant-velocity model in 2D (state
// of 4, measurements of 2), fixed-size matrices as double[4][4] inside a struct passed by
// pointer, small matrix helpers (mat_mul, transpose, add), a 2x2 innovation covariance inverted
// in closed form with a determinant, Joseph-form covariance update, and the Gaussian
// log-likelihood of the innovations summed over a measurement sequence. The user fits the
// process and measurement noise (log-parameterised) and the initial state by maximum likelihood:
// reverse-mode gradient of the log-likelihood, forward mode for one direction.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <string.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { NX = 4, NZ = 2 };

typedef struct {
  double x[NX];
  double P[NX][NX];
} Belief;

typedef struct {
  double F[NX][NX];
  double H[NZ][NX];
} Model;

static void mat_mul(int n, int m, int p, const double *a, const double *b, double *c) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < p; j++) {
      double s = 0.0;
      for (int k = 0; k < m; k++) s += a[i * m + k] * b[k * p + j];
      c[i * p + j] = s;
    }
}

static void transpose(int n, int m, const double *a, double *at) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < m; j++) at[j * n + i] = a[i * m + j];
}

static void predict(Belief *b, const Model *m, double q) {
  double xn[NX], FP[NX][NX], Ft[NX][NX];
  mat_mul(NX, NX, 1, &m->F[0][0], b->x, xn);
  memcpy(b->x, xn, sizeof xn);
  mat_mul(NX, NX, NX, &m->F[0][0], &b->P[0][0], &FP[0][0]);
  transpose(NX, NX, &m->F[0][0], &Ft[0][0]);
  mat_mul(NX, NX, NX, &FP[0][0], &Ft[0][0], &b->P[0][0]);
  /* white-acceleration noise on the velocity components */
  b->P[2][2] += q;
  b->P[3][3] += q;
  b->P[0][0] += 0.25 * q;
  b->P[1][1] += 0.25 * q;
}

/* measurement update; returns the log-likelihood of z */
static double update(Belief *b, const Model *m, double r, const double *z) {
  double Hx[NZ], y[NZ], Ht[NX][NZ], PHt[NX][NZ], S[NZ][NZ], Si[NZ][NZ], K[NX][NZ];
  mat_mul(NZ, NX, 1, &m->H[0][0], b->x, Hx);
  for (int i = 0; i < NZ; i++) y[i] = z[i] - Hx[i];
  transpose(NZ, NX, &m->H[0][0], &Ht[0][0]);
  mat_mul(NX, NX, NZ, &b->P[0][0], &Ht[0][0], &PHt[0][0]);
  mat_mul(NZ, NX, NZ, &m->H[0][0], &PHt[0][0], &S[0][0]);
  S[0][0] += r;
  S[1][1] += r;
  double det = S[0][0] * S[1][1] - S[0][1] * S[1][0];
  Si[0][0] = S[1][1] / det, Si[1][1] = S[0][0] / det;
  Si[0][1] = -S[0][1] / det, Si[1][0] = -S[1][0] / det;
  mat_mul(NX, NZ, NZ, &PHt[0][0], &Si[0][0], &K[0][0]);
  for (int i = 0; i < NX; i++) b->x[i] += K[i][0] * y[0] + K[i][1] * y[1];
  /* Joseph form: P = (I-KH) P (I-KH)^T + K R K^T */
  double IKH[NX][NX], T1[NX][NX], IKHt[NX][NX], Pn[NX][NX];
  mat_mul(NX, NZ, NX, &K[0][0], &m->H[0][0], &IKH[0][0]);
  for (int i = 0; i < NX; i++)
    for (int j = 0; j < NX; j++) IKH[i][j] = (i == j) - IKH[i][j];
  mat_mul(NX, NX, NX, &IKH[0][0], &b->P[0][0], &T1[0][0]);
  transpose(NX, NX, &IKH[0][0], &IKHt[0][0]);
  mat_mul(NX, NX, NX, &T1[0][0], &IKHt[0][0], &Pn[0][0]);
  for (int i = 0; i < NX; i++)
    for (int j = 0; j < NX; j++) Pn[i][j] += r * (K[i][0] * K[j][0] + K[i][1] * K[j][1]);
  memcpy(b->P, Pn, sizeof Pn);
  double maha = y[0] * (Si[0][0] * y[0] + Si[0][1] * y[1]) + y[1] * (Si[1][0] * y[0] + Si[1][1] * y[1]);
  return -0.5 * (maha + log(det) + NZ * log(2 * M_PI));
}

/* theta = {log q, log r, x0[0..3]} */
double loglik(const double *theta, const double *zs, int T, double dt) {
  Model m;
  memset(&m, 0, sizeof m);
  for (int i = 0; i < NX; i++) m.F[i][i] = 1.0;
  m.F[0][2] = m.F[1][3] = dt;
  m.H[0][0] = m.H[1][1] = 1.0;
  double q = exp(theta[0]), r = exp(theta[1]);
  Belief b;
  memset(&b, 0, sizeof b);
  for (int i = 0; i < NX; i++) b.x[i] = theta[2 + i], b.P[i][i] = 1.0;
  double ll = 0.0;
  for (int t = 0; t < T; t++) {
    predict(&b, &m, q * dt);
    ll += update(&b, &m, r, zs + NZ * t);
  }
  return ll;
}

enum { T = 15, NP = 6 };

int main(void) {
  double zs[NZ * T];
  unsigned st = 11;
  for (int t = 0; t < T; t++) {
    zs[2 * t] = 0.5 * t * 0.1 + 0.05 * prand(&st);
    zs[2 * t + 1] = 1.0 - 0.3 * t * 0.1 + 0.05 * prand(&st);
  }
  double theta[NP] = {log(0.02), log(0.01), 0.1, 0.9, 0.4, -0.2};
  double dtheta[NP] = {0};
  __enzyme_autodiff((void *)loglik, enzyme_dup, theta, dtheta, enzyme_const, zs, enzyme_const, T, enzyme_const, 0.1);
  CHECK_ARRAY_FD("dll/dtheta", theta, NP, dtheta, 1e-6, loglik(theta, zs, T, 0.1), 1e-5, 1e-7);
  double dzs[NZ * T] = {0}, dth2[NP] = {0};
  __enzyme_autodiff((void *)loglik, enzyme_dup, theta, dth2, enzyme_dup, zs, dzs, enzyme_const, T, enzyme_const, 0.1);
  CHECK_ARRAY_FD("dll/dz", zs, NZ * T, dzs, 1e-6, loglik(theta, zs, T, 0.1), 1e-5, 1e-7);
  CHECK_ARRAY_CLOSE("same theta gradient", dth2, dtheta, NP, 1e-12, 1e-14);
  double v[NP] = {0.3, -0.1, 1.0, 0.0, -0.5, 0.2};
  double t = __enzyme_fwddiff((void *)loglik, enzyme_dup, theta, v, enzyme_const, zs, enzyme_const, T, enzyme_const,
                              0.1);
  CHECK_CLOSE("forward vs reverse", t, dotv(v, dtheta, NP), 1e-9, 1e-11);
  return check_report();
}
