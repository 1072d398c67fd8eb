// CFLAGS: -std=c++17 -I/usr/include/eigen3
// Eigen (Debian's libeigen3-dev) as C++ users write it, with its default SSE2 code on x86-64:
// dynamic and fixed-size matrices and vectors, products (Eigen's blocked GEMM kernel), dot
// products, norms, coefficient-wise exp/tanh/abs2, reductions. Eigen's inline-assembly minima
// and maxima and its magic-number rounding inside the vectorized exp must differentiate as
// what they compute. Oracles: central finite differences of the same functions, and
// analytic gradients where they are short.
#include "check.h"
#include <Eigen/Dense>
#include <cmath>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

using Eigen::Matrix3d;
using Eigen::MatrixXd;
using Eigen::Vector3d;
using Eigen::VectorXd;

__attribute__((noinline)) static double quad(const MatrixXd *A, const VectorXd *x) {
  VectorXd y = (*A) * (*x);
  return y.dot(*x) + y.squaredNorm();
}
__attribute__((noinline)) static double soft(const VectorXd *x) {
  return x->array().exp().sum() + x->array().tanh().matrix().norm();
}
__attribute__((noinline)) static double fixed(const Matrix3d *A, const Vector3d *x) {
  Vector3d y = (*A) * (*x);
  return y.squaredNorm() + y.dot(*x);
}
__attribute__((noinline)) static double gram(const MatrixXd *A) {
  MatrixXd G = A->transpose() * (*A);
  return G.sum() + G.diagonal().array().abs2().sum();
}

static MatrixXd A_g;
static double quad_x(const double *x, const void *) {
  VectorXd v = Eigen::Map<const VectorXd>(x, A_g.cols());
  return quad(&A_g, &v);
}
static double soft_x(const double *x, const void *n) {
  VectorXd v = Eigen::Map<const VectorXd>(x, *(const int *)n);
  return soft(&v);
}
static double gram_a(const double *a, const void *) {
  MatrixXd A = Eigen::Map<const MatrixXd>(a, A_g.rows(), A_g.cols());
  return gram(&A);
}

int main() {
  const int n = 7;
  A_g = MatrixXd(n, n);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) A_g(i, j) = std::sin(1.0 + i + 2.0 * j);
  VectorXd x(n), dx = VectorXd::Zero(n), t(n);
  for (int i = 0; i < n; i++) {
    x(i) = 0.3 * i - 0.8;
    t(i) = std::cos(3.0 * i);
  }
  MatrixXd dA = MatrixXd::Zero(n, n);
  __enzyme_autodiff((void *)quad, &A_g, &dA, &x, &dx);
  CHECK_GRAD_FD("A*x, dot, squaredNorm: d/dx", quad_x, nullptr, x.data(), n, dx.data(), RTOL_FD,
                ATOL_FD);
  // d/dA of y.x + |y|^2 with y = A x: (x + 2y) x^T.
  VectorXd y = A_g * x;
  MatrixXd wantA = (x + 2.0 * y) * x.transpose();
  CHECK_ARRAY_CLOSE("A*x, dot, squaredNorm: d/dA", dA.data(), wantA.data(), n * n, RTOL_D, ATOL_D);
  VectorXd dxs = VectorXd::Zero(n);
  MatrixXd dA0 = MatrixXd::Zero(n, n);
  __enzyme_autodiff((void *)quad, &A_g, &dA0, &x, &dxs);
  MatrixXd zero = MatrixXd::Zero(n, n);
  double tangent = __enzyme_fwddiff((void *)quad, &A_g, &zero, &x, &t);
  CHECK_CLOSE("forward vs reverse", tangent, dxs.dot(t), RTOL_D, ATOL_D);

  VectorXd v(n), dv = VectorXd::Zero(n);
  for (int i = 0; i < n; i++) v(i) = 0.45 * i - 1.2;
  __enzyme_autodiff((void *)soft, &v, &dv);
  CHECK_GRAD_FD("exp, tanh, norm", soft_x, &n, v.data(), n, dv.data(), RTOL_FD, ATOL_FD);

  Matrix3d B;
  B << 1, 2, 3, 4, 5, 6, 7, 8, 10;
  Vector3d z(0.5, -1, 2), dz = Vector3d::Zero();
  Matrix3d dB = Matrix3d::Zero();
  __enzyme_autodiff((void *)fixed, &B, &dB, &z, &dz);
  Vector3d yz = B * z;
  Vector3d wantz = 2 * B.transpose() * yz + B.transpose() * z + yz;
  CHECK_ARRAY_CLOSE("fixed-size 3x3: d/dz", dz.data(), wantz.data(), 3, RTOL_D, ATOL_D);

  // Eigen's blocked matrix-matrix product: at -O0, past the inlining budget, through calls
  // that return expression objects (structs of pointers) and stack scratch buffers.
  MatrixXd dG = MatrixXd::Zero(n, n);
  __enzyme_autodiff((void *)gram, &A_g, &dG);
  CHECK_GRAD_FD("A^T A, sum, diagonal", gram_a, nullptr, A_g.data(), n * n, dG.data(), RTOL_FD,
                ATOL_FD);
  return check_report();
}
