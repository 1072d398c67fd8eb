// Forward-over-reverse on a k-means objective over std::vector (issue 19, benches/src/kmeans.cpp
// at a small size): f(C) = sum_i min_k |x_i - c_k|^2 with std::min selecting the nearest center;
// the gradient by __enzyme_autodiff on the vectors (enzyme_dup of the vector objects), and its
// directional derivative H v by __enzyme_fwddiff of that gradient function. The reverse sweep
// tapes per point and center (and at -O0 more), enough that its tape blocks go through the tape
// cache; the derivative is called several times, with plain gradient calls in between (which
// take and keep tape blocks of their own), so every call after the first reuses kept blocks.
// Oracles: central finite differences of a hand-written gradient along v, the analytic
// H v = 2 n_k v_k (n_k points nearest to center k), and the gradient against central
// differences of the objective.
#include "check.h"
#include <algorithm>
#include <cmath>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" void __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;

static const long N = 1000, K = 7, D = 5;
static std::vector<double> X(N *D);

__attribute__((noinline)) double objective(const std::vector<double> &P, const std::vector<double> &C,
                                           long n, long k, long d) {
  double f = 0;
  for (long i = 0; i < n; i++) {
    double best = INFINITY;
    for (long c = 0; c < k; c++) {
      double s = 0;
      for (long j = 0; j < d; j++) {
        double t = P[i * d + j] - C[c * d + j];
        s += t * t;
      }
      best = std::min(best, s);
    }
    f += best;
  }
  return f;
}

__attribute__((noinline)) void gradient(const std::vector<double> &C, std::vector<double> &G) {
  std::fill(G.begin(), G.end(), 0.0);
  __enzyme_autodiff((void *)objective, enzyme_const, &X, enzyme_dup, &C, &G, enzyme_const, N,
                    enzyme_const, K, enzyme_const, D);
}

// nearest center of each point (first on ties, as std::min keeps the first)
static long nearest(const std::vector<double> &C, long i) {
  double best = INFINITY;
  long arg = 0;
  for (long c = 0; c < K; c++) {
    double s = 0;
    for (long j = 0; j < D; j++) s += (X[i * D + j] - C[c * D + j]) * (X[i * D + j] - C[c * D + j]);
    if (s < best) {
      best = s;
      arg = c;
    }
  }
  return arg;
}

static void grad_by_hand(const std::vector<double> &C, std::vector<double> &G) {
  std::fill(G.begin(), G.end(), 0.0);
  for (long i = 0; i < N; i++) {
    long c = nearest(C, i);
    for (long j = 0; j < D; j++) G[c * D + j] += 2 * (C[c * D + j] - X[i * D + j]);
  }
}

int main() {
  char what[128];
  for (long i = 0; i < N * D; i++) X[i] = std::sin(0.37 * i + 0.1) + 0.3 * std::cos(1.3 * i);
  std::vector<double> C(K * D);
  for (long c = 0; c < K; c++)
    for (long j = 0; j < D; j++) C[c * D + j] = X[(5 * c) * D + j] + 0.05 * std::cos(c + 0.7 * j);
  std::vector<long> count(K, 0);
  for (long i = 0; i < N; i++) count[nearest(C, i)]++;
  for (int call = 0; call < 3; call++) {
    // directions: all ones (the Hessian's diagonal, a Newton step's pieces), then mixed ones
    std::vector<double> v(K * D), G(K * D), HV(K * D), Gp(K * D), Gm(K * D), Gh(K * D);
    for (long i = 0; i < K * D; i++) v[i] = call == 0 ? 1.0 : std::cos(0.9 * i + call);
    __enzyme_fwddiff((void *)gradient, enzyme_dup, &C, &v, enzyme_dup, &G, &HV);
    grad_by_hand(C, Gh);
    const double e = 1e-6;
    std::vector<double> Cp(C), Cm(C);
    for (long i = 0; i < K * D; i++) {
      Cp[i] += e * v[i];
      Cm[i] -= e * v[i];
    }
    grad_by_hand(Cp, Gp);
    grad_by_hand(Cm, Gm);
    for (long i = 0; i < K * D; i++) {
      snprintf(what, sizeof what, "call %d: Hv[%ld] vs FD of the hand gradient", call, i);
      CHECK_CLOSE(what, HV[i], (Gp[i] - Gm[i]) / (2 * e), RTOL_FD, ATOL_FD);
      snprintf(what, sizeof what, "call %d: Hv[%ld] vs 2 n_k v_k", call, i);
      CHECK_CLOSE(what, HV[i], 2.0 * count[i / D] * v[i], 1e-12, 1e-12);
      snprintf(what, sizeof what, "call %d: gradient[%ld] (forward-over-reverse) vs hand", call, i);
      CHECK_CLOSE(what, G[i], Gh[i], 1e-12, 1e-12);
    }
    // a plain gradient call between: it takes and keeps tape blocks without shadows
    std::vector<double> G2(K * D);
    gradient(C, G2);
    for (long i = 0; i < K * D; i++) {
      std::vector<double> Ci(C);
      Ci[i] += 1e-6;
      double fp = objective(X, Ci, N, K, D);
      Ci[i] -= 2e-6;
      double fm = objective(X, Ci, N, K, D);
      snprintf(what, sizeof what, "call %d: gradient[%ld] vs FD of f", call, i);
      CHECK_CLOSE(what, G2[i], (fp - fm) / 2e-6, RTOL_FD, 1e-6);
    }
  }
  return check_report();
}
