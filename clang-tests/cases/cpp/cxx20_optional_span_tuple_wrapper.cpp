// CFLAGS: -std=c++20
// C++17/20 idioms as people write them around __enzyme_autodiff: std::optional returned from a
// helper (a guarded log), structured bindings over a std::tuple and a std::pair, range-for over
// std::span, std::transform_reduce and std::inner_product with lambdas, and a member function
// differentiated through a static wrapper that takes the object by pointer (enzyme_const) and
// the parameters (enzyme_dup). Oracles: central finite differences of every input, forward vs
// reverse.
#include "check.h"
#include <cmath>
#include <numeric>
#include <optional>
#include <span>
#include <tuple>
#include <utility>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;

static std::optional<double> safe_log(double v) {
  if (v <= 0) return std::nullopt;
  return std::log(v);
}

static std::tuple<double, double, int> moments(std::span<const double> xs) {
  double s = 0, s2 = 0;
  int n = 0;
  for (double v : xs) {
    s += v;
    s2 += v * v;
    ++n;
  }
  return {s / n, s2 / n, n};
}

static std::pair<double, double> minmax_soft(std::span<const double> xs, double t) {
  double a = 0, b = 0;
  for (double v : xs) {
    a += std::exp(v / t);
    b += std::exp(-v / t);
  }
  return {-t * std::log(b), t * std::log(a)};
}

double idioms(const double *x, int n) {
  std::span<const double> xs(x, n);
  auto [mean, sq, count] = moments(xs);
  double var = sq - mean * mean;
  auto [lo, hi] = minmax_soft(xs.subspan(1), 0.5);
  double logs = 0;
  for (double v : xs)
    if (auto l = safe_log(v * v + 0.5)) logs += *l;
  std::vector<double> w(n);
  for (int i = 0; i < n; i++) w[i] = 1.0 + 0.25 * i;
  double dot = std::inner_product(xs.begin(), xs.end(), w.begin(), 0.0);
  double tr = std::transform_reduce(xs.begin(), xs.end(), 0.0, std::plus<>(),
                                    [](double v) { return std::sin(v) * v; });
  return var * count + (hi - lo) + logs + 0.1 * dot * dot + tr;
}

struct Spring {
  double k, rest;
  std::vector<double> anchors;
  double energy(const double *pos, int n) const {
    double e = 0;
    for (int i = 0; i < n; i++) {
      double d = pos[i] - anchors[i % anchors.size()] - rest;
      e += 0.5 * k * d * d + 0.01 * d * d * d * d;
    }
    return e;
  }
  static double energy_of(const Spring *s, const double *pos, int n) { return s->energy(pos, n); }
};

static const Spring *g_spring;
static double spring_at(const double *x, int n) { return Spring::energy_of(g_spring, x, n); }

typedef double (*fn)(const double *, int);
static void check_one(const char *name, fn f, const double *x0, int n) {
  std::vector<double> x(x0, x0 + n), dx(n, 0.0), t(n);
  __enzyme_autodiff((void *)f, x.data(), dx.data(), n);
  CHECK_ARRAY_FD(name, x, n, dx, 1e-6, f(x.data(), n), RTOL_FD, ATOL_FD);
  for (int i = 0; i < n; i++) t[i] = 0.3 + 0.1 * i - 0.05 * i * i;
  double tan = __enzyme_fwddiff((void *)f, x.data(), t.data(), n);
  CHECK_CLOSE(name, tan, dotv(dx.data(), t.data(), n), RTOL_D, ATOL_D);
}

int main() {
  double x[7] = {0.3, -1.2, 0.7, 1.9, -0.4, 0.8, 0.25};
  check_one("idioms", idioms, x, 7);
  Spring s{2.5, 0.1, {0.0, 0.5, -0.3}};
  g_spring = &s;
  check_one("spring wrapper (global object)", spring_at, x, 7);
  // the static wrapper itself, object enzyme_const, positions enzyme_dup
  std::vector<double> p(x, x + 7), dp(7, 0.0);
  __enzyme_autodiff((void *)Spring::energy_of, enzyme_const, &s, enzyme_dup, p.data(), dp.data(),
                    enzyme_const, 7);
  CHECK_ARRAY_FD("spring wrapper (enzyme_const object)", p, 7, dp, 1e-6,
                 Spring::energy_of(&s, p.data(), 7), RTOL_FD, ATOL_FD);
  return check_report();
}
