// Running minima and maxima in loops (k-means assignment, max pooling, ReLU): ferment
// differentiates each fmin/fmax/llvm.minnum/... as the choice it makes, so the reverse sweep
// keeps one bit per step instead of both operands. Checked against the analytic gradient
// (the derivative goes to the chosen operand; ties follow the rule: the second operand of a
// minimum, the first of a maximum), central finite differences away from ties, and forward over
// reverse (Hessian-vector product) against finite differences of the analytic gradient.
// RUN: clang
#include "check.h"
#include <math.h>

void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;

#define K 5
#define NP 23
#define D 3

// k-means objective: sum over points of the squared distance to the nearest centre.
double kmeans(const double *c, const double *x, int k, int n, int d) {
  double total = 0.0;
  for (int i = 0; i < n; i++) {
    double best = INFINITY;
    for (int j = 0; j < k; j++) {
      double s = 0.0;
      for (int l = 0; l < d; l++) {
        double t = x[i * d + l] - c[j * d + l];
        s += t * t;
      }
      best = fmin(best, s);
    }
    total += best;
  }
  return total;
}

// max pooling of width 3 and a ReLU, then a weighted sum.
double pool(const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i + 3 <= n; i++) {
    double m = fmax(fmax(x[i], x[i + 1]), x[i + 2]);
    s += (0.5 + 0.1 * i) * fmax(m * x[i], 0.0);
  }
  return s;
}

// float running maximum of squares.
float maxsq(const float *x, int n) {
  float m = -INFINITY;
  for (int i = 0; i < n; i++)
    m = fmaxf(m, x[i] * x[i]);
  return m;
}

static const double *kx;
static double kmeans_c(const double *c, const void *ctx) {
  (void)ctx;
  return kmeans(c, kx, K, NP, D);
}
static double pool_x(const double *x, const void *ctx) {
  (void)ctx;
  return pool(x, NP);
}

void kgrad(const double *c, double *dc, const double *x) {
  __enzyme_autodiff((void *)kmeans, enzyme_dup, c, dc, enzyme_const, x, enzyme_const, K,
                    enzyme_const, NP, enzyme_const, D);
}

// Analytic gradient of kmeans: -2 (x_i - c_j*) for the nearest centre j* of each point.
static void kgrad_exact(const double *c, const double *x, double *g) {
  for (int i = 0; i < K * D; i++)
    g[i] = 0.0;
  for (int i = 0; i < NP; i++) {
    int bj = 0;
    double best = INFINITY;
    for (int j = 0; j < K; j++) {
      double s = 0.0;
      for (int l = 0; l < D; l++)
        s += (x[i * D + l] - c[j * D + l]) * (x[i * D + l] - c[j * D + l]);
      if (s <= best) { // a tie goes to the later centre (second operand of fmin)
        best = s;
        bj = j;
      }
    }
    for (int l = 0; l < D; l++)
      g[bj * D + l] -= 2.0 * (x[i * D + l] - c[bj * D + l]);
  }
}

int main(void) {
  double c[K * D], x[NP * D], dc[K * D], g[K * D];
  for (int i = 0; i < K * D; i++)
    c[i] = 0.2 * i - 0.05 * (i % 4);
  for (int i = 0; i < NP * D; i++)
    x[i] = sin(1.3 * i) * 2.0;
  kx = x;
  for (int i = 0; i < K * D; i++)
    dc[i] = 0.0;
  kgrad(c, dc, x);
  kgrad_exact(c, x, g);
  CHECK_ARRAY_CLOSE("kmeans gradient vs analytic", dc, g, K * D, RTOL_D, ATOL_D);
  CHECK_GRAD_FD("kmeans gradient vs FD", kmeans_c, NULL, c, K * D, dc, RTOL_FD, ATOL_FD);

  // Forward over reverse: H v = 2 * (points of centre j) * v_j, away from ties.
  double v[K * D], hv[K * D], want[K * D];
  for (int i = 0; i < K * D; i++) {
    v[i] = 1.0 + 0.1 * i;
    dc[i] = 0.0;
    hv[i] = 0.0;
    want[i] = 0.0;
  }
  __enzyme_fwddiff((void *)kgrad, enzyme_dup, c, v, enzyme_dup, dc, hv, enzyme_const, x);
  for (int i = 0; i < NP; i++) {
    int bj = 0;
    double best = INFINITY;
    for (int j = 0; j < K; j++) {
      double s = 0.0;
      for (int l = 0; l < D; l++)
        s += (x[i * D + l] - c[j * D + l]) * (x[i * D + l] - c[j * D + l]);
      if (s <= best) {
        best = s;
        bj = j;
      }
    }
    for (int l = 0; l < D; l++)
      want[bj * D + l] += 2.0 * v[bj * D + l];
  }
  CHECK_ARRAY_CLOSE("kmeans Hessian-vector product", hv, want, K * D, RTOL_D, ATOL_D);

  double px[NP], dpx[NP];
  for (int i = 0; i < NP; i++) {
    px[i] = cos(0.7 * i) + 0.01 * i;
    dpx[i] = 0.0;
  }
  __enzyme_autodiff((void *)pool, enzyme_dup, px, dpx, enzyme_const, NP);
  CHECK_GRAD_FD("pool gradient vs FD", pool_x, NULL, px, NP, dpx, 1e-5, 1e-6);

  float fx[NP], dfx[NP];
  int arg = 0;
  for (int i = 0; i < NP; i++) {
    fx[i] = (float)(sin(0.9 * i) * (1.0 + 0.02 * i));
    dfx[i] = 0.0f;
    if (fx[i] * fx[i] > fx[arg] * fx[arg])
      arg = i;
  }
  __enzyme_autodiff((void *)maxsq, enzyme_dup, fx, dfx, enzyme_const, NP);
  for (int i = 0; i < NP; i++)
    CHECK_CLOSE("float running max", dfx[i], i == arg ? 2.0 * fx[i] : 0.0, RTOL_F, ATOL_F);

  // Ties: fmin(a, a) sends the derivative to the second operand, fmax to the first.
  double t[2] = {1.5, 1.5}, dt[2] = {0.0, 0.0};
  double tie(const double *);
  double tie_const(const double *);
  __enzyme_autodiff((void *)tie, enzyme_dup, t, dt);
  CHECK_CLOSE("fmin/fmax tie, first operand", dt[0], 1.0, RTOL_D, ATOL_D);
  CHECK_CLOSE("fmin/fmax tie, second operand", dt[1], 2.0, RTOL_D, ATOL_D);
  double tc[4] = {0.853, 0.853, 0.853, 0.853}, dtc[4] = {0.0, 0.0, 0.0, 0.0};
  __enzyme_autodiff((void *)tie_const, enzyme_dup, tc, dtc);
  CHECK_CLOSE("fmax(C, x) tie", dtc[0], 1.0, RTOL_D, ATOL_D);
  CHECK_CLOSE("fmax(x, C) tie", dtc[1], 2.0, RTOL_D, ATOL_D);
  CHECK_CLOSE("fmin(C, x) tie", dtc[2], 0.0, RTOL_D, ATOL_D);
  CHECK_CLOSE("fmin(x, C) tie", dtc[3], 0.0, RTOL_D, ATOL_D);
  return check_report();
}

// At t0 == t1: fmax's derivative goes to its first operand, fmin's to its second.
double tie(const double *t) { return fmax(t[0], t[1]) + 2.0 * fmin(t[0], t[1]); }

// A tie with a constant: the variable wins a maximum and loses a minimum, whichever side the
// constant is written on (LLVM puts it last at -O2; -O0 must agree).
double tie_const(const double *t) {
  return fmax(0.853, t[0]) + 2.0 * fmax(t[1], 0.853) + 4.0 * fmin(0.853, t[2]) + 8.0 * fmin(t[3], 0.853);
}
