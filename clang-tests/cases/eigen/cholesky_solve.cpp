// CFLAGS: -std=c++17 -I/usr/include/eigen3
// LEVELS: 0 1 2
// Differentiating through Eigen's Cholesky factorizations: K(p) = B^T B + diag(exp(p)) is SPD,
// u = K^-1 f by LLT (reverse) and by LDLT (forward), objective f.u + 0.1 |u|^2. LLT computes
// the matrix's L1 norm with Eigen's SSE2 `pabs`, an `and` of the packet's integer view with
// 0x7fff...: that integer view of doubles was a false "reads memory that may hold
// floating-point data as an integer" error at -O2; it is now read as `fabs` of the doubles.
// Oracles: the adjoint-method gradient -lambda_i u_i exp(p_i) with K lambda = f + 0.2 u, and
// central finite differences.
// Levels 0 to 2. At -O0 nothing is inlined and type analysis covers Eigen's whole call graph
// (about 2000 functions per request): it took 23 s of CPU, 8 s since its trees' insertions
// find overlapping entries by search; the compile takes 17 s of CPU (-O2: 14 s). -O3 is left
// out: over the harness's limit on a loaded machine. There the blocked LLT inlines into one
// function whose reverse sweep has 4706 adjoint slots (allocas) over ~7000 blocks, 70000
// instructions after simplification. Zeroed in the entry block, each slot made SROA place
// phis of zeros over every block up to its uses (SROA 10.9 s of the plugin's 22 s); 4056 of
// them are now zeroed in the one block that uses them (`Adjoints::localize`): SROA 2.3 s, the
// plugin 11 s, the whole compile ~51 s of CPU (without the plugin ~6 s); the host's own -O3
// pipeline on the derivative is most of the rest (SLP 12 s). The other ~650 slots are zeroed at
// the nearest dominator of their uses outside cycles (-O2: SROA 3.2 -> 2.0 s).
// The loop tape state of its 152 row buffers now stays in memory (-ferment-tape-state-memory):
// as 12,166 phis it cost the host's SLP vectorizer 8.5 s, now 0.4 s (whole compile ~28 s).
#include "check.h"
#include <Eigen/Dense>
#include <cmath>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_out;

using Eigen::Map;
using Eigen::MatrixXd;
using Eigen::VectorXd;

static MatrixXd stiffness(const double *p, const double *bm, int n) {
  Map<const MatrixXd> B(bm, n, n);
  MatrixXd K = B.transpose() * B;
  K.diagonal() += Map<const VectorXd>(p, n).array().exp().matrix();
  return K;
}
static double compliance_llt(const double *p, const double *bm, int n) {
  MatrixXd K = stiffness(p, bm, n);
  VectorXd f = VectorXd::LinSpaced(n, 1.0, 2.0);
  Eigen::LLT<MatrixXd> llt(K);
  VectorXd u = llt.solve(f);
  return f.dot(u) + 0.1 * u.squaredNorm();
}
static double compliance_ldlt(const double *p, const double *bm, int n) {
  MatrixXd K = stiffness(p, bm, n);
  VectorXd f = VectorXd::LinSpaced(n, 1.0, 2.0);
  VectorXd u = K.ldlt().solve(f);
  return f.dot(u) + 0.1 * u.squaredNorm();
}
struct Ctx {
  const double *b;
  int n;
};
static double llt_p(const double *p, const void *c) {
  const Ctx *k = (const Ctx *)c;
  return compliance_llt(p, k->b, k->n);
}
// The adjoint method: J = f.u + 0.1 u.u, K u = f; dJ/dp_i = -lambda_i u_i exp(p_i) with
// K lambda = f + 0.2 u (K symmetric).
static void analytic(const double *p, const double *bm, int n, double *g) {
  MatrixXd K = stiffness(p, bm, n);
  VectorXd f = VectorXd::LinSpaced(n, 1.0, 2.0);
  VectorXd u = K.llt().solve(f);
  VectorXd lam = K.llt().solve(f + 0.2 * u);
  for (int i = 0; i < n; i++) g[i] = -lam(i) * u(i) * std::exp(p[i]);
}

int main() {
  const int n = 5;
  double b[n * n], p[n], dp[n] = {0}, g[n];
  for (int i = 0; i < n * n; i++) b[i] = std::sin(1.3 * i + 0.4);
  for (int i = 0; i < n; i++) p[i] = 0.2 * i - 0.3;
  Ctx c{b, n};
  __enzyme_autodiff((void *)compliance_llt, enzyme_dup, p, dp, enzyme_const, b, enzyme_const, n);
  analytic(p, b, n, g);
  CHECK_ARRAY_CLOSE("LLT solve: adjoint method", dp, g, n, 1e-9, 1e-11);
  CHECK_GRAD_FD("LLT solve: finite differences", llt_p, &c, p, n, dp, RTOL_FD, ATOL_FD);
  double t[n], want = 0;
  for (int i = 0; i < n; i++) {
    t[i] = std::cos(2.0 * i);
    want += g[i] * t[i];
  }
  double fw = __enzyme_fwddiff((void *)compliance_ldlt, enzyme_dup, p, t, enzyme_const, b,
                               enzyme_const, n);
  CHECK_CLOSE("LDLT solve, forward: adjoint method", fw, want, 1e-9, 1e-11);
  return check_report();
}
