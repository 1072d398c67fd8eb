// Damped Newton with an Armijo backtracking line search, as a C++ optimization code writes it:
// the objective and its analytic gradient and Hessian passed as std::function objects built from
// lambdas that capture a parameter struct by reference, std::vector<double> iterates, a Cholesky
// factorization that adds a growing multiple of the identity when the Hessian is not positive
// definite (try/retry loop), `while` backtracking halving the step, and a `break` on a small
// gradient norm. The minimizer of a regularized Rosenbrock-like energy is a function of the
// parameters; the user differentiates the optimal value (and a function of the minimizer)
// with respect to them by reverse mode and checks forward mode. Iteration counts and line-search
// halvings are piecewise constant, so central differences apply.
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <cmath>
#include <functional>
#include <vector>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

using Vec = std::vector<double>;
using Fn = std::function<double(const Vec &)>;
using GradFn = std::function<void(const Vec &, Vec &)>;
using HessFn = std::function<void(const Vec &, Vec &)>;

struct Params {
  double a, b, lam;
};

static bool cholesky(Vec &H, int n) {
  for (int j = 0; j < n; j++) {
    double d = H[j * n + j];
    for (int k = 0; k < j; k++) d -= H[j * n + k] * H[j * n + k];
    if (d <= 0.0) return false;
    d = std::sqrt(d);
    H[j * n + j] = d;
    for (int i = j + 1; i < n; i++) {
      double s = H[i * n + j];
      for (int k = 0; k < j; k++) s -= H[i * n + k] * H[j * n + k];
      H[i * n + j] = s / d;
    }
  }
  return true;
}

static void chol_solve(const Vec &L, Vec &x, int n) {
  for (int i = 0; i < n; i++) {
    double s = x[i];
    for (int k = 0; k < i; k++) s -= L[i * n + k] * x[k];
    x[i] = s / L[i * n + i];
  }
  for (int i = n - 1; i >= 0; i--) {
    double s = x[i];
    for (int k = i + 1; k < n; k++) s -= L[k * n + i] * x[k];
    x[i] = s / L[i * n + i];
  }
}

static Vec newton(const Fn &f, const GradFn &g, const HessFn &h, Vec x, int maxit) {
  int n = (int)x.size();
  Vec gr(n), H(n * n), Hs(n * n), p(n), xt(n);
  for (int it = 0; it < maxit; it++) {
    g(x, gr);
    double gn = 0.0;
    for (double v : gr) gn += v * v;
    if (std::sqrt(gn) < 1e-10) break;
    h(x, H);
    double shift = 0.0;
    for (;;) { // modified Newton: shift until positive definite
      Hs = H;
      for (int i = 0; i < n; i++) Hs[i * n + i] += shift;
      if (cholesky(Hs, n)) break;
      shift = shift == 0.0 ? 1e-3 : 10.0 * shift;
    }
    for (int i = 0; i < n; i++) p[i] = -gr[i];
    chol_solve(Hs, p, n);
    double f0 = f(x), slope = 0.0, t = 1.0;
    for (int i = 0; i < n; i++) slope += gr[i] * p[i];
    while (true) {
      for (int i = 0; i < n; i++) xt[i] = x[i] + t * p[i];
      if (f(xt) <= f0 + 1e-4 * t * slope || t < 1e-8) break;
      t *= 0.5;
    }
    x = xt;
  }
  return x;
}

// chained Rosenbrock with an L2 term; params a, b, lam are active
extern "C" double optimal_value(const double *prm, int n, double *xstar) {
  Params P{prm[0], prm[1], prm[2]};
  Fn f = [&P](const Vec &x) {
    double s = 0.0;
    for (size_t i = 0; i + 1 < x.size(); i++) {
      double u = P.a - x[i], v = x[i + 1] - x[i] * x[i];
      s += u * u + P.b * v * v;
    }
    for (double xi : x) s += P.lam * xi * xi;
    return s;
  };
  GradFn g = [&P](const Vec &x, Vec &gr) {
    size_t n = x.size();
    for (size_t i = 0; i < n; i++) gr[i] = 2.0 * P.lam * x[i];
    for (size_t i = 0; i + 1 < n; i++) {
      double v = x[i + 1] - x[i] * x[i];
      gr[i] += -2.0 * (P.a - x[i]) - 4.0 * P.b * v * x[i];
      gr[i + 1] += 2.0 * P.b * v;
    }
  };
  HessFn h = [&P](const Vec &x, Vec &H) {
    size_t n = x.size();
    for (double &e : H) e = 0.0;
    for (size_t i = 0; i < n; i++) H[i * n + i] = 2.0 * P.lam;
    for (size_t i = 0; i + 1 < n; i++) {
      double v = x[i + 1] - x[i] * x[i];
      H[i * n + i] += 2.0 - 4.0 * P.b * v + 8.0 * P.b * x[i] * x[i];
      H[i * n + i + 1] += -4.0 * P.b * x[i];
      H[(i + 1) * n + i] += -4.0 * P.b * x[i];
      H[(i + 1) * n + i + 1] += 2.0 * P.b;
    }
  };
  Vec x0(n);
  for (int i = 0; i < n; i++) x0[i] = -0.5 + 0.2 * i;
  Vec x = newton(f, g, h, x0, 60);
  for (int i = 0; i < n; i++) xstar[i] = x[i];
  double tail = 0.0;
  for (int i = 0; i < n; i++) tail += (i + 1) * x[i];
  return f(x) + 0.1 * tail;
}

#define NX 4
static double f_prm(const double *p, const void *) {
  double xs[NX];
  return optimal_value(p, NX, xs);
}

int main() {
  double prm[3] = {1.2, 8.0, 0.05}, dprm[3] = {0}, xs[NX], dxs[NX] = {0};
  __enzyme_autodiff((void *)optimal_value, enzyme_dup, prm, dprm, enzyme_const, NX, enzyme_dup, xs, dxs);
  CHECK_GRAD_FD("dvalue/dparams", f_prm, nullptr, prm, 3, dprm, 1e-5, 1e-8);
  double tp[3] = {0.1, -0.5, 0.01}, txs[NX] = {0};
  double t = __enzyme_fwddiff((void *)optimal_value, enzyme_dup, prm, tp, enzyme_const, NX, enzyme_dup, xs, txs);
  CHECK_CLOSE("forward vs reverse", t, dotv(dprm, tp, 3), 1e-7, 1e-10);
  // the minimizer's tangent against central differences along tp
  double xp[NX], xm[NX], pp[3], pm[3];
  shift_along(pp, prm, tp, 1e-6, 3), shift_along(pm, prm, tp, -1e-6, 3);
  optimal_value(pp, NX, xp), optimal_value(pm, NX, xm);
  for (int i = 0; i < NX; i++) CHECK_CLOSE("dx*/dp along tp", txs[i], (xp[i] - xm[i]) / 2e-6, 1e-4, 1e-7);
  return check_report();
}
