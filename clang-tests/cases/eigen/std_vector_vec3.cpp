// CFLAGS: -std=c++17 -I/usr/include/eigen3
// A bead-spring chain kept in std::vector<Eigen::Vector3d>: built from a raw array with
// reserve/push_back inside the differentiated function, bond lengths (norm), bending from cross
// products (squaredNorm), a centroid by range-for; and the same data passed as a
// std::vector<Vector3d> argument with a shadow vector of zeros. Oracles: central finite
// differences, forward vs reverse.
#include "check.h"
#include <Eigen/Dense>
#include <Eigen/StdVector>
#include <cmath>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_out;

using Eigen::Vector3d;

// A bead-spring chain: positions in std::vector<Vector3d>, built from a raw array.
static double chain_energy(const double *x, int n) {
  std::vector<Vector3d> p;
  p.reserve(n);
  for (int i = 0; i < n; i++) p.push_back(Vector3d(x[3 * i], x[3 * i + 1], x[3 * i + 2]));
  double e = 0;
  for (int i = 0; i + 1 < n; i++) {
    double l = (p[i + 1] - p[i]).norm();
    e += (l - 1.0) * (l - 1.0);
  }
  for (int i = 0; i + 2 < n; i++) {
    Vector3d a = p[i + 1] - p[i], b = p[i + 2] - p[i + 1];
    e += 0.1 * a.cross(b).squaredNorm();
  }
  Vector3d c = Vector3d::Zero();
  for (const Vector3d &q : p) c += q;
  return e + 0.01 * (c / n).squaredNorm();
}
// The same through a std::vector<Vector3d> argument (its shadow is a vector of zeros).
static double chain_vec(const std::vector<Vector3d> *p) {
  double e = 0;
  for (size_t i = 0; i + 1 < p->size(); i++) e += ((*p)[i + 1] - (*p)[i]).squaredNorm() * (*p)[i].x();
  return e;
}
static double chain_fd(const double *x, const void *n) { return chain_energy(x, *(const int *)n); }
static double chain_vec_fd(const double *x, const void *n) {
  std::vector<Vector3d> p;
  for (int i = 0; i < *(const int *)n; i++) p.emplace_back(x[3 * i], x[3 * i + 1], x[3 * i + 2]);
  return chain_vec(&p);
}

int main() {
  const int n = 6;
  double x[3 * n], dx[3 * n] = {0};
  for (int i = 0; i < 3 * n; i++) x[i] = 0.9 * (i / 3) + 0.2 * std::sin(1.7 * i);
  __enzyme_autodiff((void *)chain_energy, enzyme_dup, x, dx, enzyme_const, n);
  CHECK_GRAD_FD("chain energy", chain_fd, &n, x, 3 * n, dx, RTOL_FD, ATOL_FD);
  double t[3 * n], want = 0;
  for (int i = 0; i < 3 * n; i++) { t[i] = std::cos(0.5 * i); want += t[i] * dx[i]; }
  double fw = __enzyme_fwddiff((void *)chain_energy, enzyme_dup, x, t, enzyme_const, n);
  CHECK_CLOSE("chain forward vs reverse", fw, want, 1e-9, 1e-12);

  std::vector<Vector3d> p, dp(n, Vector3d::Zero());
  for (int i = 0; i < n; i++) p.emplace_back(x[3 * i], x[3 * i + 1], x[3 * i + 2]);
  __enzyme_autodiff((void *)chain_vec, enzyme_dup, &p, &dp);
  CHECK_GRAD_FD("std::vector<Vector3d> argument", chain_vec_fd, &n, x, 3 * n, dp[0].data(),
                RTOL_FD, ATOL_FD);
  return check_report();
}
