// Batched forward-over-reverse: __enzyme_fwddiff with enzyme_width N of a function that calls
// __enzyme_autodiff gives N Hessian columns (Hessian-vector products) per call; a dense Hessian of
// a 10-variable objective with width 5 (two calls) and width 3 (four calls, the last lanes past
// the end seeded with zero directions). Oracles, each column on its own: central finite
// differences of a hand-written gradient, the scalar forward-over-reverse per column, symmetry.
#include "check.h"
#include <string.h>

extern int enzyme_width, enzyme_dupv, enzyme_dupnoneedv, enzyme_const;
void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

enum { N = 10 };

static double obj(const double *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) {
    double a = x[i], b = x[(i + 1) % n];
    s += exp(0.3 * a) * b * b + sin(a * b) + a * a * a / 6.0;
  }
  return s;
}

static void grad(const double *x, double *g, int n) {
  memset(g, 0, n * sizeof *g);
  __enzyme_autodiff((void *)obj, enzyme_dup, x, g, enzyme_const, n);
}

static void grad_hand(const double *x, double *g, int n) {
  for (int i = 0; i < n; i++) g[i] = 0;
  for (int i = 0; i < n; i++) {
    double a = x[i], b = x[(i + 1) % n];
    g[i] += 0.3 * exp(0.3 * a) * b * b + b * cos(a * b) + a * a / 2;
    g[(i + 1) % n] += 2 * exp(0.3 * a) * b + a * cos(a * b);
  }
}

static double x0[N], H5[N][N], H3[N + 2][N];

static void hess5(void) {
  double seeds[5][N], g[N];
  for (int j0 = 0; j0 < N; j0 += 5) {
    memset(seeds, 0, sizeof seeds);
    for (int k = 0; k < 5; k++) seeds[k][j0 + k] = 1.0;
    __enzyme_fwddiff((void *)grad, enzyme_width, 5, enzyme_dupv, sizeof seeds[0], x0, seeds[0],
                     enzyme_dupnoneedv, sizeof H5[0], g, H5[j0], enzyme_const, N);
  }
}

static void hess3(void) {
  double seeds[3][N], g[N];
  for (int j0 = 0; j0 < N; j0 += 3) {
    memset(seeds, 0, sizeof seeds);
    for (int k = 0; k < 3 && j0 + k < N; k++) seeds[k][j0 + k] = 1.0;
    __enzyme_fwddiff((void *)grad, enzyme_width, 3, enzyme_dupv, sizeof seeds[0], x0, seeds[0],
                     enzyme_dupnoneedv, sizeof H3[0], g, H3[j0], enzyme_const, N);
  }
}

int main(void) {
  for (int i = 0; i < N; i++) x0[i] = 0.13 * i - 0.45;
  hess5();
  hess3();
  for (int j = 0; j < N; j++) {
    double e = 1e-5, xp[N], xm[N], gp[N], gm[N], seed[N], g[N], hv[N];
    memcpy(xp, x0, sizeof xp);
    memcpy(xm, x0, sizeof xm);
    xp[j] += e;
    xm[j] -= e;
    grad_hand(xp, gp, N);
    grad_hand(xm, gm, N);
    memset(seed, 0, sizeof seed);
    seed[j] = 1.0;
    __enzyme_fwddiff((void *)grad, x0, seed, g, hv, enzyme_const, N);
    for (int i = 0; i < N; i++) {
      char msg[96];
      double fd = (gp[i] - gm[i]) / (2 * e);
      snprintf(msg, sizeof msg, "H[%d][%d] width 5 vs finite differences of the gradient", i, j);
      CHECK_CLOSE(msg, H5[j][i], fd, RTOL_FD, ATOL_FD);
      snprintf(msg, sizeof msg, "H[%d][%d] width 3 vs finite differences of the gradient", i, j);
      CHECK_CLOSE(msg, H3[j][i], fd, RTOL_FD, ATOL_FD);
      snprintf(msg, sizeof msg, "H[%d][%d] width 5 vs scalar forward-over-reverse", i, j);
      CHECK_CLOSE(msg, H5[j][i], hv[i], RTOL_D, ATOL_D);
      CHECK_CLOSE("symmetry", H5[j][i], H5[i][j], RTOL_D, ATOL_D);
    }
  }
  for (int i = 0; i < N; i++) {
    CHECK_CLOSE("zero direction past the end (lane 1)", H3[N][i], 0.0, 0, 0);
    CHECK_CLOSE("zero direction past the end (lane 2)", H3[N + 1][i], 0.0, 0, 0);
  }
  return check_report();
}
