// LEVELS: 0
// EXPECT-ERROR: memory that holds a pointer to constant data in place of its shadow
// EXPECT-ERROR: generic_product_impl
// EXPECT-ERROR: enzyme_dup
// CFLAGS: -std=c++17 -I/usr/include/eigen3
// At -O0 Eigen's matrix-vector product stays a call (past the inlining budget) that receives
// the Product object holding the Map of a constant (enzyme_const) matrix: the object's shadow
// holds the matrix pointer itself, and the callee's forward derivative read the matrix as
// tangents, a silently wrong derivative (18.07 for 4.05). It must be a compile-time error
// naming the call and suggesting enzyme_dup with a zero shadow (eigen/map_dynamic.cpp does
// that at -O0; at -O1 and up the product is inlined and the constant matrix works).
#include <Eigen/Dense>
#include <cmath>
#include <cstdio>

extern "C" double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;

using Eigen::Map;
using Eigen::MatrixXd;
using Eigen::VectorXd;

static double energy(const double *a, const double *x, int n) {
  Map<const MatrixXd> A(a, n, n);
  Map<const VectorXd> v(x, n);
  VectorXd y = A * v;
  double s = y.dot(v) + 0.5 * y.squaredNorm();
  s += v.array().exp().sum();
  s += A.block(1, 1, 2, 3).sum() * v.head(2).prod();
  s += v.tail(3).norm();
  return s;
}

int main() {
  const int n = 6;
  double a[n * n], x[n], t[n];
  for (int i = 0; i < n * n; i++) a[i] = std::sin(0.7 * i + 0.2);
  for (int i = 0; i < n; i++) {
    x[i] = 0.25 * i - 0.6;
    t[i] = std::cos(1.0 + i);
  }
  double fw = __enzyme_fwddiff((void *)energy, enzyme_const, a, enzyme_dup, x, t, enzyme_const, n);
  printf("%g\n", fw);
  return 0;
}
