// An implicit solver whose Newton iteration gets its Jacobian from __enzyme_fwddiff (one
// tangent per column), as users write "Newton with AD Jacobians": a backward-Euler step of a
// stiff 3-species chemical kinetics system (Robertson-like rates scaled by parameters), solved
// by Newton with a dense 3x3 Gaussian elimination with partial pivoting (swaps in branches),
// a convergence test in a `while` loop, and several time steps. The outer program then asks
// reverse mode (and forward mode) for the derivative of the final concentrations with respect
// to the rate constants: AD of a function that itself calls AD (nested forward inside reverse).
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences of
// the whole solve, forward vs reverse.
#include "check.h"
#include <string.h>

double __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

enum { NS = 3 };

/* residual of backward Euler: g(y) = y - y_old - h f(y, k) */
static void residual(const double *y, double *g, const double *yold, const double *k, double h) {
  double f0 = -k[0] * y[0] + k[1] * y[1] * y[2];
  double f2 = k[2] * y[1] * y[1];
  double f1 = -f0 - f2;
  g[0] = y[0] - yold[0] - h * f0;
  g[1] = y[1] - yold[1] - h * f1;
  g[2] = y[2] - yold[2] - h * f2;
}

static void solve3(double J[NS][NS], double *b) {
  int piv[NS] = {0, 1, 2};
  for (int c = 0; c < NS; c++) {
    int best = c;
    for (int r = c + 1; r < NS; r++)
      if (fabs(J[r][c]) > fabs(J[best][c])) best = r;
    if (best != c) {
      for (int j = 0; j < NS; j++) {
        double t = J[c][j];
        J[c][j] = J[best][j];
        J[best][j] = t;
      }
      double t = b[c];
      b[c] = b[best];
      b[best] = t;
      int ti = piv[c];
      piv[c] = piv[best];
      piv[best] = ti;
    }
    for (int r = c + 1; r < NS; r++) {
      double l = J[r][c] / J[c][c];
      for (int j = c; j < NS; j++) J[r][j] -= l * J[c][j];
      b[r] -= l * b[c];
    }
  }
  for (int r = NS - 1; r >= 0; r--) {
    double s = b[r];
    for (int j = r + 1; j < NS; j++) s -= J[r][j] * b[j];
    b[r] = s / J[r][r];
  }
}

static void be_step(double *y, const double *k, double h) {
  double yold[NS], g[NS], J[NS][NS];
  memcpy(yold, y, sizeof yold);
  int it = 0;
  double nrm = 1.0;
  while (nrm > 1e-13 && it < 30) {
    residual(y, g, yold, k, h);
    for (int c = 0; c < NS; c++) {
      double e[NS] = {0, 0, 0}, dg[NS];
      e[c] = 1.0;
      __enzyme_fwddiff((void *)residual, enzyme_dup, y, e, enzyme_dupnoneed, g, dg, enzyme_const, yold, enzyme_const,
                       k, enzyme_const, h);
      for (int r = 0; r < NS; r++) J[r][c] = dg[r];
    }
    residual(y, g, yold, k, h);
    solve3(J, g);
    nrm = 0.0;
    for (int i = 0; i < NS; i++) {
      y[i] -= g[i];
      nrm += g[i] * g[i];
    }
    nrm = sqrt(nrm);
    it++;
  }
}

double integrate(const double *k, const double *y0, int steps, double h, const double *w) {
  double y[NS];
  memcpy(y, y0, sizeof y);
  for (int s = 0; s < steps; s++) be_step(y, k, h * (1.0 + 0.1 * s));
  return w[0] * y[0] + w[1] * y[1] * 1e4 + w[2] * y[2];
}

int main(void) {
  double k[3] = {0.04, 1e2, 3e3}, y0[3] = {1.0, 0.0, 0.0}, w[3] = {1.0, 2.0, -0.5};
  /* the primal: Newton converges and mass is conserved */
  double dk[3] = {0}, dy0[3] = {0};
  __enzyme_autodiff((void *)integrate, enzyme_dup, k, dk, enzyme_dup, y0, dy0, enzyme_const, 8, enzyme_const, 0.5,
                    enzyme_const, w);
  for (int i = 0; i < 3; i++) {
    double h = 1e-6 * k[i];
    CHECK_CLOSE("dJ/dk", dk[i], FD_AT(k[i], h, integrate(k, y0, 8, 0.5, w)), 1e-5, 1e-9);
  }
  CHECK_ARRAY_FD("dJ/dy0", y0, 3, dy0, 1e-7, integrate(k, y0, 8, 0.5, w), 1e-5, 1e-9);
  double tk[3] = {0.01, 5.0, -100.0}, ty[3] = {0, 0, 0};
  double (*fwd)(void *, ...) = (double (*)(void *, ...))__enzyme_fwddiff;
  double t = fwd((void *)integrate, enzyme_dup, k, tk, enzyme_dup, y0, ty, enzyme_const, 8, enzyme_const, 0.5,
                 enzyme_const, w);
  CHECK_CLOSE("forward vs reverse", t, dotv(dk, tk, 3), 1e-7, 1e-10);
  return check_report();
}
