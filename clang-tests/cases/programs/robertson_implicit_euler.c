// Stiff chemical kinetics (Robertson's problem with a temperature-dependent first rate) solved
// by implicit Euler, as a combustion code writes it: each step solves the nonlinear system
// c - c_old - h f(c) = 0 by Newton iterations with the analytic 3x3 Jacobian, a small dense
// solve by Gaussian elimination with partial pivoting, a convergence test on the update's max
// norm (`break` out of the Newton loop) and a step size that grows geometrically with fmin to
// a cap. The rate constants are read from an array of structs. The user wants the sensitivity
// of the final product concentration (a log-transformed objective) to the three rate constants,
// by reverse mode, and a tangent by forward mode.
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences
// (the Newton iteration count is constant near the point), forward vs reverse.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct {
  const char *name;
  double k, Ea;
} Reaction;

static void rhs(const double *k, const double *c, double *f, double J[3][3]) {
  double r1 = k[0] * c[0], r2 = k[1] * c[1] * c[1], r3 = k[2] * c[1] * c[2];
  f[0] = -r1 + r3;
  f[1] = r1 - r2 - r3;
  f[2] = r2;
  if (J) {
    J[0][0] = -k[0], J[0][1] = k[2] * c[2], J[0][2] = k[2] * c[1];
    J[1][0] = k[0], J[1][1] = -2 * k[1] * c[1] - k[2] * c[2], J[1][2] = -k[2] * c[1];
    J[2][0] = 0, J[2][1] = 2 * k[1] * c[1], J[2][2] = 0;
  }
}

/* solves A x = b in place (b becomes x); A is destroyed */
static void solve3(double A[3][3], double *b) {
  for (int c = 0; c < 3; c++) {
    int p = c;
    for (int r = c + 1; r < 3; r++)
      if (fabs(A[r][c]) > fabs(A[p][c])) p = r;
    if (p != c) {
      for (int j = 0; j < 3; j++) {
        double t = A[c][j];
        A[c][j] = A[p][j], A[p][j] = t;
      }
      double t = b[c];
      b[c] = b[p], b[p] = t;
    }
    for (int r = c + 1; r < 3; r++) {
      double m = A[r][c] / A[c][c];
      for (int j = c; j < 3; j++) A[r][j] -= m * A[c][j];
      b[r] -= m * b[c];
    }
  }
  for (int r = 2; r >= 0; r--) {
    double s = b[r];
    for (int j = r + 1; j < 3; j++) s -= A[r][j] * b[j];
    b[r] = s / A[r][r];
  }
}

double final_product(const Reaction *rx, double temp, double t_end) {
  double k[3];
  for (int i = 0; i < 3; i++) k[i] = rx[i].k * exp(-rx[i].Ea * (1.0 / temp - 1.0 / 300.0));
  double c[3] = {1.0, 0.0, 0.0}, cold[3], f[3], J[3][3], A[3][3], d[3];
  double t = 0.0, h = 1e-4;
  while (t < t_end) {
    if (t + h > t_end) h = t_end - t;
    for (int i = 0; i < 3; i++) cold[i] = c[i];
    for (int it = 0; it < 20; it++) {
      rhs(k, c, f, J);
      for (int i = 0; i < 3; i++) {
        d[i] = -(c[i] - cold[i] - h * f[i]);
        for (int j = 0; j < 3; j++) A[i][j] = (i == j) - h * J[i][j];
      }
      solve3(A, d);
      double upd = 0.0;
      for (int i = 0; i < 3; i++) {
        c[i] += d[i];
        upd = fmax(upd, fabs(d[i]));
      }
      if (upd < 1e-13) break;
    }
    t += h;
    h = fmin(h * 1.5, 0.5);
  }
  return log(c[2] + 1e-3) + 10.0 * c[1];
}

static double f_k(const double *kv, const void *ctx) {
  Reaction rx[3] = {{"A->B", kv[0], 2.0}, {"2B->C+B", kv[1], 0.0}, {"B+C->A+C", kv[2], 1.0}};
  (void)ctx;
  return final_product(rx, 320.0, 5.0);
}

int main(void) {
  Reaction rx[3] = {{"A->B", 0.04, 2.0}, {"2B->C+B", 3e7, 0.0}, {"B+C->A+C", 1e4, 1.0}};
  Reaction drx[3];
  memset(drx, 0, sizeof drx);
  double dT = __enzyme_autodiff((void *)final_product, enzyme_dup, rx, drx, 320.0, enzyme_const, 5.0);
  double kv[3] = {rx[0].k, rx[1].k, rx[2].k}, dk[3] = {drx[0].k, drx[1].k, drx[2].k};
  /* relative steps: the rate constants span nine orders of magnitude */
  for (int i = 0; i < 3; i++) {
    double h = 1e-6 * kv[i];
    CHECK_CLOSE("dobj/dk", dk[i], FD_AT(kv[i], h, f_k(kv, NULL)), 1e-4, 1e-9 / kv[i]);
  }
  double temp = 320.0;
  CHECK_CLOSE("dobj/dT", dT, FD_AT(temp, 1e-4, final_product(rx, temp, 5.0)), 1e-4, 1e-9);
  CHECK_CLOSE("dobj/dEa (inactive name field ignored)", drx[0].Ea,
              FD_AT(rx[0].Ea, 1e-6, final_product(rx, 320.0, 5.0)), 1e-4, 1e-9);
  Reaction trx[3] = {{0, 0.01, 0.1}, {0, 1e6, 0.0}, {0, -200.0, 0.2}};
  double t = __enzyme_fwddiff((void *)final_product, enzyme_dup, rx, trx, 320.0, 1.0, enzyme_const, 5.0);
  double want = dT;
  for (int i = 0; i < 3; i++) want += drx[i].k * trx[i].k + drx[i].Ea * trx[i].Ea;
  CHECK_CLOSE("forward vs reverse", t, want, 1e-8, 1e-11);
  return check_report();
}
