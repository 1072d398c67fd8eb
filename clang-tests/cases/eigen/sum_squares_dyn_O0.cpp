// CFLAGS: -std=c++17 -fno-exceptions -I/usr/include/eigen3
// The shape of Enzyme's eigensumsqdyn-notmp test, written for these tests: a function of two
// dynamic-size matrices that keeps the difference as an expression (`auto&& d = W - M`) and
// returns the sum of the product d*d, with the test's Eigen settings (no asserts, no SIMD,
// no exceptions). At -O0 the 153-byte CwiseBinaryOp of transposed blocks the product's
// evaluator reads holds its sizes past byte 64, behind pointers to the matrices whose own facts
// fill the type tree first: type analysis dropped the facts about those sizes (a full tree kept
// room only for the first 64 bytes of its object), and the copy of a size stopped with "reads
// memory that may hold floating-point data as an integer". Reverse and forward mode, -O0..-O3.
// Not covered: without EIGEN_NO_DEBUG or with exceptions, and `(d * d.transpose()).sum()`,
// -O0 still stops with that error in a callee whose argument's facts, merged over its call
// sites, are contradictory (README, Eigen).
// Oracle: central finite differences of the same function, and forward vs reverse.
#define EIGEN_NO_DEBUG 1
#define EIGEN_DONT_VECTORIZE 1
#include "check.h"
#include <Eigen/Dense>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

using Eigen::MatrixXd;

__attribute__((noinline)) static double sumsq(const MatrixXd *__restrict W,
                                              const MatrixXd *__restrict M) {
  auto &&diff = *W - *M;
  return (diff * diff).sum();
}

int main() {
  const int n = 4;
  MatrixXd W(n, n), M(n, n);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      W(i, j) = 0.3 * std::sin(0.7 * i + 1.3 * j + 0.2);
      M(i, j) = 0.5 * std::cos(0.4 * i - 0.9 * j);
    }
  MatrixXd Wp = MatrixXd::Zero(n, n), Mp = MatrixXd::Zero(n, n);
  __enzyme_autodiff((void *)sumsq, &W, &Wp, &M, &Mp);
  CHECK_ARRAY_FD("sumsq d/dW", W.data(), n * n, Wp.data(), 1e-6, sumsq(&W, &M), RTOL_FD, ATOL_FD);
  CHECK_ARRAY_FD("sumsq d/dM", M.data(), n * n, Mp.data(), 1e-6, sumsq(&W, &M), RTOL_FD, ATOL_FD);

  // Forward mode along a direction of both matrices against the reverse gradients.
  MatrixXd dW(n, n), dM(n, n);
  for (int i = 0; i < n * n; i++) {
    dW.data()[i] = std::sin(1.1 * i + 0.3);
    dM.data()[i] = std::cos(0.6 * i);
  }
  double t = __enzyme_fwddiff((void *)sumsq, &W, &dW, &M, &dM);
  double want = 0;
  for (int i = 0; i < n * n; i++) want += Wp.data()[i] * dW.data()[i] + Mp.data()[i] * dM.data()[i];
  CHECK_CLOSE("sumsq forward vs reverse", t, want, RTOL_D, 1e-12);
  return check_report();
}
