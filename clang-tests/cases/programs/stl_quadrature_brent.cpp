// A small C++17 numerics toolkit as a physicist writes it: Gauss-Legendre quadrature with the
// 8-point nodes and weights in constant global std::array tables, mapped to [a, b] and used
// composite over panels; a Brent root finder returning std::optional<double> (std::nullopt when
// the bracket has no sign change) with the usual while loop, fabs tolerances and inverse
// quadratic interpolation; std::transform / std::inner_product / std::accumulate with lambdas
// over std::vector; a std::tuple<double, double, int> returned by a helper and unpacked with
// structured bindings; and a std::pair of bounds. The model: the chemical potential of an ideal
// Fermi gas at finite temperature, found by Brent so that the integrated density of states
// (quadrature of a Fermi-Dirac occupation) matches a target particle number, then the internal
// energy by quadrature. The user differentiates the energy with respect to temperature,
// particle number and a band-shape parameter (reverse and forward), through the root finder.
// Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
// forward vs reverse, the implicit-function derivative of the root.
#include "check.h"
#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

static const std::array<double, 8> GL_X = {
    -0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498,
    0.1834346424956498,  0.5255324099163290,  0.7966664774136267,  0.9602898564975363};
static const std::array<double, 8> GL_W = {
    0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.3626837833783620,
    0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763};

template <typename F> double gauss_legendre(F &&f, double a, double b, int panels) {
  double h = (b - a) / panels;
  double total = 0.0;
  for (int p = 0; p < panels; p++) {
    double lo = a + p * h, mid = lo + 0.5 * h;
    std::vector<double> fx(GL_X.size());
    std::transform(GL_X.begin(), GL_X.end(), fx.begin(),
                   [&](double x) { return f(mid + 0.5 * h * x); });
    total += 0.5 * h * std::inner_product(GL_W.begin(), GL_W.end(), fx.begin(), 0.0);
  }
  return total;
}

template <typename F>
std::optional<double> brent(F &&f, std::pair<double, double> bracket, double tol) {
  double a = bracket.first, b = bracket.second;
  double fa = f(a), fb = f(b);
  if (fa * fb > 0.0) return std::nullopt;
  if (std::fabs(fa) < std::fabs(fb)) {
    std::swap(a, b);
    std::swap(fa, fb);
  }
  double c = a, fc = fa, d = b - a;
  bool bisected = true;
  int it = 0;
  while (std::fabs(fb) > tol && std::fabs(b - a) > tol && it++ < 200) {
    double s;
    if (fa != fc && fb != fc)
      s = a * fb * fc / ((fa - fb) * (fa - fc)) + b * fa * fc / ((fb - fa) * (fb - fc)) +
          c * fa * fb / ((fc - fa) * (fc - fb));
    else
      s = b - fb * (b - a) / (fb - fa);
    double lo = (3.0 * a + b) / 4.0;
    bool outside = !((s > std::min(lo, b) && s < std::max(lo, b)));
    if (outside || (bisected && std::fabs(s - b) >= std::fabs(b - c) / 2.0) ||
        (!bisected && std::fabs(s - b) >= std::fabs(c - d) / 2.0)) {
      s = 0.5 * (a + b);
      bisected = true;
    } else {
      bisected = false;
    }
    double fs = f(s);
    d = c;
    c = b;
    fc = fb;
    if (fa * fs < 0.0) {
      b = s;
      fb = fs;
    } else {
      a = s;
      fa = fs;
    }
    if (std::fabs(fa) < std::fabs(fb)) {
      std::swap(a, b);
      std::swap(fa, fb);
    }
  }
  return b;
}

struct Gas {
  double T;     // temperature
  double N;     // particle number
  double shape; // density of states g(e) = sqrt(e) (1 + shape e)
};

static double dos(const Gas &g, double e) { return std::sqrt(e) * (1.0 + g.shape * e); }
static double fermi(double e, double mu, double T) { return 1.0 / (1.0 + std::exp((e - mu) / T)); }

// (number, energy, panels used)
static std::tuple<double, double, int> moments(const Gas &g, double mu) {
  const double emax = 12.0;
  int panels = 6;
  double n = gauss_legendre([&](double e) { return dos(g, e) * fermi(e, mu, g.T); }, 0.0, emax,
                            panels);
  double u = gauss_legendre([&](double e) { return e * dos(g, e) * fermi(e, mu, g.T); }, 0.0,
                            emax, panels);
  return {n, u, panels};
}

static double chemical_potential(const Gas &g) {
  auto excess = [&](double mu) { return std::get<0>(moments(g, mu)) - g.N; };
  std::optional<double> mu = brent(excess, {-5.0, 10.0}, 1e-13);
  return mu.value_or(0.0);
}

static double internal_energy(const Gas *g) {
  double mu = chemical_potential(*g);
  auto [n, u, panels] = moments(*g, mu);
  std::vector<double> parts = {u, 0.0 * n, 1e-3 * panels * 0.0};
  return std::accumulate(parts.begin(), parts.end(), 0.0,
                         [](double acc, double v) { return acc + v; });
}

static double mu_of(const Gas *g) { return chemical_potential(*g); }

int main() {
  Gas g = {0.4, 3.0, 0.15};
  double mu = chemical_potential(g);
  CHECK_CLOSE("root solves N", std::get<0>(moments(g, mu)), g.N, 1e-11, 1e-12);

  Gas dg{};
  __enzyme_autodiff((void *)internal_energy, enzyme_dup, &g, &dg);
  double *pv = &g.T, *dv = &dg.T;
  CHECK_ARRAY_FD("dU/d(T, N, shape)", pv, 3, dv, 1e-5, internal_energy(&g), 1e-6, 1e-9);

  Gas tg = {0.5, -0.2, 1.0};
  double jt = __enzyme_fwddiff((void *)internal_energy, enzyme_dup, &g, &tg);
  CHECK_CLOSE("tangent vs reverse", jt, dg.T * tg.T + dg.N * tg.N + dg.shape * tg.shape, 1e-9,
              1e-12);

  // implicit function theorem: dmu/dN = 1 / (dN/dmu)
  Gas e = {0.0, 1.0, 0.0};
  double dmu_dN = __enzyme_fwddiff((void *)mu_of, enzyme_dup, &g, &e);
  double h = 1e-5;
  double dn_dmu =
      (std::get<0>(moments(g, mu + h)) - std::get<0>(moments(g, mu - h))) / (2.0 * h);
  CHECK_CLOSE("dmu/dN = 1/(dN/dmu)", dmu_dN, 1.0 / dn_dmu, 1e-6, 1e-9);

  // no bracket: the optional is empty and the result constant
  auto none = brent([](double x) { return x * x + 1.0; }, {-1.0, 1.0}, 1e-12);
  CHECK_TRUE("no sign change gives nullopt", !none.has_value());
  return check_report();
}
