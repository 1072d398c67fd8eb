// CFLAGS: -std=c++17 -I/usr/include/eigen3
// Dynamic-size Eigen over raw arrays, the usual Enzyme entry point: Map<const MatrixXd> and
// Map<const VectorXd> of the arguments, matrix-vector products, dot, squaredNorm,
// array().exp().sum(), transpose products, segment/head/tail/block expressions, prod, norm, and
// a Map<VectorXd> output written through tanh and a scaled segment. Oracles: central finite
// differences (d/dx, d/dA, the output's weighted sum), forward vs reverse.
// The forward derivative with the matrix constant (enzyme_const) at every level: at -O0 Eigen's
// product stays a call (past the inlining budget) that receives the Map object, whose shadow
// holds the constant matrix pointer in place of a shadow. The callee's derivative once read the
// matrix itself as tangents (silently wrong, 18.07 for 4.05), then it was a compile error; now
// the callee checks at run time that such a pointer stands for itself and reads no tangent
// through it. The constant matrix must come out unchanged.
#include "check.h"
#include <Eigen/Dense>
#include <cmath>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_out;

using Eigen::Map;
using Eigen::MatrixXd;
using Eigen::VectorXd;

// Map<> over raw arrays, the usual Enzyme entry point.
static double energy(const double *a, const double *x, int n) {
  Map<const MatrixXd> A(a, n, n);
  Map<const VectorXd> v(x, n);
  VectorXd y = A * v;
  double s = y.dot(v) + 0.5 * y.squaredNorm();
  s += v.array().exp().sum();
  s += (A.transpose() * y).segment(1, n - 2).array().square().sum();
  s += A.block(1, 1, 2, 3).sum() * v.head(2).prod();
  s += v.tail(3).norm();
  return s;
}
struct Ctx { const double *a; int n; };
static double energy_x(const double *x, const void *c) {
  const Ctx *k = (const Ctx *)c;
  return energy(k->a, x, k->n);
}
static double energy_a(const double *a, const void *c) {
  const Ctx *k = (const Ctx *)c;
  return energy(a, k->a, k->n);
}

// Writes its result through a Map over an output array.
static void residual(const double *a, const double *x, const double *b, double *r, int m, int n) {
  Map<const MatrixXd> A(a, m, n);
  Map<const VectorXd> X(x, n), B(b, m);
  Map<VectorXd> R(r, m);
  R = (A * X - B).array().tanh().matrix();
  R.segment(1, 2) *= X.squaredNorm();
}
static double res_loss(const double *x, const void *c) {
  const double *a = ((const double *const *)c)[0];
  const double *b = ((const double *const *)c)[1];
  double r[5];
  residual(a, x, b, r, 5, 4);
  double s = 0;
  for (int i = 0; i < 5; i++) s += (i + 1) * r[i];
  return s;
}

int main() {
  const int n = 6;
  double a[n * n], x[n], da[n * n] = {0}, dx[n] = {0};
  for (int i = 0; i < n * n; i++) a[i] = std::sin(0.7 * i + 0.2);
  for (int i = 0; i < n; i++) x[i] = 0.25 * i - 0.6;
  __enzyme_autodiff((void *)energy, enzyme_dup, a, da, enzyme_dup, x, dx, enzyme_const, n);
  Ctx cx{a, n}, ca{x, n};
  CHECK_GRAD_FD("energy d/dx", energy_x, &cx, x, n, dx, RTOL_FD, ATOL_FD);
  CHECK_GRAD_FD("energy d/dA", energy_a, &ca, a, n * n, da, RTOL_FD, ATOL_FD);
  double t[n], ta[n * n] = {0};
  for (int i = 0; i < n; i++) t[i] = std::cos(1.0 + i);
  double a_before[n * n];
  for (int i = 0; i < n * n; i++) a_before[i] = a[i];
  double fw = __enzyme_fwddiff((void *)energy, enzyme_const, a, enzyme_dup, x, t, enzyme_const, n);
  for (int i = 0; i < n * n; i++) CHECK_CLOSE("constant matrix unchanged", a[i], a_before[i], 0, 0);
  double fw0 = __enzyme_fwddiff((void *)energy, enzyme_dup, a, ta, enzyme_dup, x, t, enzyme_const, n);
  CHECK_CLOSE("energy fwd const vs zero shadow", fw, fw0, RTOL_D, ATOL_D);
  double want = 0;
  for (int i = 0; i < n; i++) want += dx[i] * t[i];
  CHECK_CLOSE("energy fwd vs rev", fw, want, RTOL_D, ATOL_D);

  double a2[20], b2[5], x2[4], dx2[4] = {0}, r2[5], dr2[5];
  for (int i = 0; i < 20; i++) a2[i] = std::cos(0.3 * i);
  for (int i = 0; i < 5; i++) { b2[i] = 0.1 * i; dr2[i] = i + 1; }
  for (int i = 0; i < 4; i++) x2[i] = 0.2 * i - 0.3;
  __enzyme_autodiff((void *)residual, enzyme_const, a2, enzyme_dup, x2, dx2, enzyme_const, b2,
                    enzyme_dup, r2, dr2, enzyme_const, 5, enzyme_const, 4);
  const double *ctx[2] = {a2, b2};
  CHECK_GRAD_FD("Map output residual", res_loss, ctx, x2, 4, dx2, RTOL_FD, ATOL_FD);
  return check_report();
}
