// CFLAGS: -std=c++17 -I/usr/include/eigen3
// A small nonlinear least-squares fit written with Eigen: y = a exp(-b t) + c, the residual
// vector from array expressions returned by value (VectorXd), 0.5 |r|^2 from squaredNorm, the
// parameters read through Map<const Vector3d>. Oracles: the analytic gradient J^T r (reverse)
// and its directional derivative (forward).
#include "check.h"
#include <Eigen/Dense>
#include <cmath>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_out;

using Eigen::Map;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Eigen::Matrix;

// Fit y = a exp(-b t) + c: the residual vector and 0.5 |r|^2, the way a least-squares fit is written.
static VectorXd residuals(const Eigen::Vector3d &p, const VectorXd &t, const VectorXd &y) {
  return (p(0) * (-p(1) * t.array()).exp() + p(2)).matrix() - y;
}
static double lsq(const double *params, const double *tdat, const double *ydat, int m) {
  Eigen::Vector3d p = Map<const Eigen::Vector3d>(params);
  VectorXd t = Map<const VectorXd>(tdat, m), y = Map<const VectorXd>(ydat, m);
  VectorXd r = residuals(p, t, y);
  return 0.5 * r.squaredNorm();
}
// Analytic gradient J^T r.
static void lsq_grad(const double *p, const double *t, const double *y, int m, double *g) {
  g[0] = g[1] = g[2] = 0;
  for (int i = 0; i < m; i++) {
    double e = std::exp(-p[1] * t[i]);
    double r = p[0] * e + p[2] - y[i];
    g[0] += r * e;
    g[1] += r * (-p[0] * t[i] * e);
    g[2] += r;
  }
}

int main() {
  const int m = 9;
  double t[m], y[m];
  for (int i = 0; i < m; i++) {
    t[i] = 0.25 * i;
    y[i] = 2.0 * std::exp(-0.7 * t[i]) + 0.3 + 0.01 * std::sin(7.0 * i);
  }
  double p[3] = {1.5, 0.5, 0.1}, dp[3] = {0, 0, 0}, g[3];
  __enzyme_autodiff((void *)lsq, enzyme_dup, p, dp, enzyme_const, t, enzyme_const, y,
                    enzyme_const, m);
  lsq_grad(p, t, y, m, g);
  CHECK_ARRAY_CLOSE("least squares J^T r", dp, g, 3, RTOL_D, ATOL_D);
  double v[3] = {0.3, -1.0, 2.0};
  double fw = __enzyme_fwddiff((void *)lsq, enzyme_dup, p, v, enzyme_const, t, enzyme_const, y,
                               enzyme_const, m);
  CHECK_CLOSE("least squares forward", fw, g[0] * v[0] + g[1] * v[1] + g[2] * v[2], RTOL_D, ATOL_D);
  return check_report();
}
