// CFLAGS: -std=c++17 -I/usr/include/eigen3
// LEVELS: 0
// eigen/product_chain.cpp's program at -O0 (that case runs -O1 and -O2): G = A^T A,
// H = G G^T + A^T A G, K = (A H) A^T, objective sum(K), A a Map of the argument.
// Was a compile error at -O0: Eigen's matrix-vector product for a column of the lazy
// A^T A times a column stays a call (`generic_product_impl<...>::scaleAndAddTo`), where a local
// `Block` (the column) is built by MapBase's constructor, not inlined at -O0, and then copied
// whole (104 bytes) into the expression the product's evaluator reads. Bytes 88..96 of that
// Block are never written (padding after an empty member), but the slot's address went to a
// call, so `undefined_reads::zero_unwritten_copies` could not tell, and the reverse sweep
// stopped: "cannot tell what bytes 80.. of the memory ... copies hold". A direct call of a
// defined function now counts as writing only the bytes its body writes through the address
// (`callee_writes`: constant offsets, parameters spilled to stack slots and read back, callees
// three levels deep; anything that may keep or return the address leaves the slot alone), and
// the rule runs again while copies change (a copy into a slot that a later copy reads).
// The smaller (A H) A^T with H = A^T A alone compiled on the old main too.
// Oracle: central finite differences. The compile takes about a minute of CPU.
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
