// The README's worked batched examples, as written there: the 32 x 32 Jacobian by batched
// forward mode (8 columns per call, enzyme_dupv seeds, enzyme_dupnoneedv results), the dense
// 100 x 100 Hessian by batched forward-over-reverse (10 columns per call), and Jacobian rows by
// batched reverse mode (8 rows per call), on a kinetics-like right-hand side with loops and an
// objective over 100 variables. Oracles: central finite differences of rhs (Jacobian, both
// ways), central finite differences of a hand-written gradient (Hessian), symmetry.
#include "check.h"
#include <string.h>

extern int enzyme_width, enzyme_dup, enzyme_dupv, enzyme_dupnoneedv;
void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

void rhs(const double *y, double *f) {
  for (int i = 0; i < 32; i++) {
    double k = 0.5 + 0.03 * i;
    f[i] = -k * y[i] * y[(i + 1) % 32] + 0.7 * exp(-y[(i + 5) % 32]) - 0.1 * y[i] / (1 + y[(i + 9) % 32] * y[(i + 9) % 32]);
  }
}

// README: batched forward mode, J[j][i] = d f_i / d y_j.
void jacobian(const double *y, double J[32][32]) {
  double seeds[8][32], f[32];
  for (int j0 = 0; j0 < 32; j0 += 8) {
    memset(seeds, 0, sizeof seeds);
    for (int k = 0; k < 8; k++) seeds[k][j0 + k] = 1.0;   // lane k: column j0 + k
    __enzyme_fwddiff((void *)rhs, enzyme_width, 8, enzyme_dupv, sizeof seeds[0], y, seeds[0],
                     enzyme_dupnoneedv, sizeof J[0], f, J[j0]);
  }
}

enum { NV = 100 };
double f(const double *x) {
  double s = 0, q = 0;
  for (int i = 0; i < NV; i++) {
    s += x[i] * x[i] * x[(i + 1) % NV];
    q += x[i] * x[i];
  }
  return s + 0.5 * log(1 + q);
}
static void grad_by_hand(const double *x, double *g) {
  double q = 0;
  for (int i = 0; i < NV; i++) q += x[i] * x[i];
  for (int j = 0; j < NV; j++)
    g[j] = 2 * x[j] * x[(j + 1) % NV] + x[(j + NV - 1) % NV] * x[(j + NV - 1) % NV] + x[j] / (1 + q);
}

// README: forward-over-reverse Hessian.
void grad(const double *x, double *g) {          // g = ∇f(x)
  memset(g, 0, 100 * sizeof *g);
  __enzyme_autodiff((void *)f, enzyme_dup, x, g);
}
void hessian(const double *x, double H[100][100]) {
  double seeds[10][100], g[100];
  for (int j0 = 0; j0 < 100; j0 += 10) {
    memset(seeds, 0, sizeof seeds);
    for (int k = 0; k < 10; k++) seeds[k][j0 + k] = 1.0;
    __enzyme_fwddiff((void *)grad, enzyme_width, 10, enzyme_dupv, sizeof seeds[0], x, seeds[0],
                     enzyme_dupnoneedv, sizeof H[0], g, H[j0]);   // H[j] = ∂∇f/∂x_j
  }
}

// README: batched reverse mode, rows i0..i0+7 of R[i][j] = d f_i / d y_j.
static void rows(const double *y, double R[32][32], int i0) {
  double seeds[8][32] = {{0}}, f[32];
  for (int k = 0; k < 8; k++) seeds[k][i0 + k] = 1.0;  /* R[i0..i0+7] zeroed */
  __enzyme_autodiff((void *)rhs, enzyme_width, 8, enzyme_dupv, sizeof R[0], y, R[i0],
                    enzyme_dupnoneedv, sizeof seeds[0], f, seeds[0]);
}

static double J[32][32], R[32][32], H[NV][NV];

int main(void) {
  double y[32], x[NV];
  char what[96];
  for (int i = 0; i < 32; i++) y[i] = 0.4 + 0.3 * sin(1.7 * i);
  for (int i = 0; i < NV; i++) x[i] = 0.5 * cos(0.37 * i + 0.1);
  jacobian(y, J);
  memset(R, 0, sizeof R);
  for (int i0 = 0; i0 < 32; i0 += 8) rows(y, R, i0);
  for (int j = 0; j < 32; j++) {
    double e = 1e-6, yp[32], ym[32], fp[32], fm[32];
    for (int i = 0; i < 32; i++) yp[i] = ym[i] = y[i];
    yp[j] += e;
    ym[j] -= e;
    rhs(yp, fp);
    rhs(ym, fm);
    for (int i = 0; i < 32; i++) {
      double fd = (fp[i] - fm[i]) / (2 * e);
      snprintf(what, sizeof what, "README Jacobian J[%d][%d] (forward) vs FD", j, i);
      CHECK_CLOSE(what, J[j][i], fd, RTOL_FD, ATOL_FD);
      snprintf(what, sizeof what, "README Jacobian R[%d][%d] (reverse) vs FD", i, j);
      CHECK_CLOSE(what, R[i][j], fd, RTOL_FD, ATOL_FD);
    }
  }
  hessian(x, H);
  for (int j = 0; j < NV; j++) {
    double e = 1e-6, xp[NV], xm[NV], gp[NV], gm[NV];
    for (int i = 0; i < NV; i++) xp[i] = xm[i] = x[i];
    xp[j] += e;
    xm[j] -= e;
    grad_by_hand(xp, gp);
    grad_by_hand(xm, gm);
    for (int i = 0; i < NV; i++) {
      snprintf(what, sizeof what, "README Hessian H[%d][%d] vs FD of the gradient", j, i);
      CHECK_CLOSE(what, H[j][i], (gp[i] - gm[i]) / (2 * e), RTOL_FD, ATOL_FD);
      if (i < j) {
        snprintf(what, sizeof what, "README Hessian symmetry H[%d][%d]", j, i);
        CHECK_CLOSE(what, H[j][i], H[i][j], RTOL_D, ATOL_D);
      }
    }
  }
  return check_report();
}
