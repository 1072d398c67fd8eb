// CFLAGS: -std=c++17 -I/usr/include/eigen3
// LEVELS: 1 2
// A longer chain of dynamic-size Eigen products through a Map of the argument:
// G = A^T A, H = G G^T + A^T A G, K = (A H) A^T, objective sum(K). At -O1 it was a false
// "reads memory that may hold floating-point data as an integer" error: after inlining, SROA
// splits the copy of a Block expression field by field, eight bytes that nothing writes
// (padding or an empty member) included, and the load of those bytes stayed as an untyped
// i64 copied into the product's evaluator. Such reads of never-written stack bytes now become
// undef in the canonical copy (`undefined_reads.rs`).
// Oracle: central finite differences.
// -O0 is eigen/product_chain_O0.cpp (a minute of CPU to compile).
// -O3 works but is left out for compile time (reverse and forward: 83 s of CPU; -O2 reverse
// alone 23 s, with forward 36 s, so forward mode is not compiled here).
#include "check.h"
#include <Eigen/Dense>
#include <cmath>

extern "C" void __enzyme_autodiff(void *, ...);

using Eigen::Map;
using Eigen::MatrixXd;

static double chain(const double *a, int n) {
  Map<const MatrixXd> A(a, n, n);
  MatrixXd G = A.transpose() * A;
  MatrixXd H = G * G.transpose() + A.transpose() * A * G;
  MatrixXd K = (A * H) * A.transpose();
  return K.sum();
}
static double chain_at(const double *a, const void *c) { return chain(a, *(const int *)c); }

int main() {
  const int n = 5;
  double a[n * n], da[n * n] = {0};
  for (int i = 0; i < n * n; i++) a[i] = 0.3 * std::sin(0.7 * i + 0.2);
  __enzyme_autodiff((void *)chain, enzyme_dup, a, da, enzyme_const, n);
  int nn = n;
  CHECK_GRAD_FD("chain d/dA", chain_at, &nn, a, n * n, da, RTOL_FD, ATOL_FD);
  return check_report();
}
