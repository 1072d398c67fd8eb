// CFLAGS: -std=c++17
// Real-world C++ shapes (issue 14, section 4), each objective differentiated in reverse mode
// and forward mode: a vector of structs with a std::string name read by const range-for; a
// template integrator taking a lambda that captures active parameters; a Polynomial class over
// std::vector with operator+, operator* and operator(); std::accumulate/std::transform/
// std::inner_product/std::partial_sum with lambdas; a std::unique_ptr<double[]> workspace;
// std::array<std::array<double,3>,3> with operator overloads; std::min_element on a key.
// Oracles: central finite differences of the primal for every input; forward vs reverse.
#include "check.h"
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Species {
  std::string name;
  double mass, rate;
};

static double reaction_network(const double *x, int n) {
  std::vector<Species> sp;
  for (int i = 0; i < n; i++)
    sp.push_back({"species-with-a-long-name-" + std::to_string(i), x[i], 0.1 * (i + 1) * x[(i + 1) % n]});
  double total = 0;
  for (const auto &s : sp) total += s.mass * std::exp(-s.rate) + (s.name.size() > 26 ? s.rate : 0.0);
  return total;
}

template <class F> static double trapezoid(F f, double a, double b, int m) {
  double h = (b - a) / m, s = 0.5 * (f(a) + f(b));
  for (int i = 1; i < m; i++) s += f(a + i * h);
  return s * h;
}

static double integrate_lambda(const double *x, int n) {
  double k = x[0], c = x[1];
  double r = trapezoid([k, &c](double t) { return std::sin(k * t) + c * t * t; }, 0.0, x[2], 16);
  for (int i = 3; i < n; i++) r += trapezoid([&](double t) { return x[i] * std::exp(-t); }, 0.0, 1.0, 8);
  return r;
}

class Polynomial {
 public:
  explicit Polynomial(std::vector<double> c) : c_(std::move(c)) {}
  double operator()(double t) const {
    double r = 0;
    for (auto it = c_.rbegin(); it != c_.rend(); ++it) r = r * t + *it;
    return r;
  }
  Polynomial operator+(const Polynomial &o) const {
    std::vector<double> r(std::max(c_.size(), o.c_.size()), 0.0);
    for (size_t i = 0; i < c_.size(); i++) r[i] += c_[i];
    for (size_t i = 0; i < o.c_.size(); i++) r[i] += o.c_[i];
    return Polynomial(r);
  }
  Polynomial operator*(const Polynomial &o) const {
    std::vector<double> r(c_.size() + o.c_.size() - 1, 0.0);
    for (size_t i = 0; i < c_.size(); i++)
      for (size_t j = 0; j < o.c_.size(); j++) r[i + j] += c_[i] * o.c_[j];
    return Polynomial(r);
  }

 private:
  std::vector<double> c_;
};

static double polynomial_algebra(const double *x, int n) {
  Polynomial p(std::vector<double>(x, x + n / 2)), q(std::vector<double>(x + n / 2, x + n));
  Polynomial r = p * q + p;
  return r(0.7) + (q * q)(-0.3);
}

static double numeric_algorithms(const double *x, int n) {
  std::vector<double> v(x, x + n), sq(n), ps(n);
  std::transform(v.begin(), v.end(), sq.begin(), [](double a) { return a * a + std::sin(a); });
  std::partial_sum(sq.begin(), sq.end(), ps.begin());
  double acc = std::accumulate(ps.begin(), ps.end(), 0.0, [](double s, double a) { return s + std::sqrt(1 + a * a); });
  double ip = std::inner_product(v.begin(), v.end(), sq.begin(), 0.0);
  auto m = std::min_element(v.begin(), v.end(), [](double a, double b) { return std::cos(a) < std::cos(b); });
  return acc + ip + *m * *m;
}

static double unique_workspace(const double *x, int n) {
  auto w = std::make_unique<double[]>(n);
  for (int i = 0; i < n; i++) w[i] = x[i] * x[(i + 1) % n];
  auto scale = std::make_unique<double>(x[0] + 2.0);
  double s = 0;
  for (int i = 0; i < n; i++) s += std::log(1 + w[i] * w[i]) * *scale;
  return s;
}

using M3 = std::array<std::array<double, 3>, 3>;
static M3 operator*(const M3 &a, const M3 &b) {
  M3 r{};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      for (int k = 0; k < 3; k++) r[i][j] += a[i][k] * b[k][j];
  return r;
}
static M3 operator+(const M3 &a, const M3 &b) {
  M3 r;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) r[i][j] = a[i][j] + b[i][j];
  return r;
}
static double array_matrices(const double *x, int n) {
  M3 a;
  for (int i = 0; i < 9; i++) a[i / 3][i % 3] = x[i % n];
  M3 b = a * a + a;
  double s = 0;
  for (const auto &row : b)
    for (double e : row) s += std::tanh(e);
  return s;
}

typedef double (*objective)(const double *, int);

static void check(const char *what, objective f, int n) {
  std::vector<double> x(n), dx(n, 0.0), t(n);
  for (int i = 0; i < n; i++) x[i] = 0.3 + 0.17 * i - 0.02 * i * i;
  __enzyme_autodiff((void *)f, x.data(), dx.data(), n);
  CHECK_ARRAY_FD(what, x, n, dx, 1e-6, f(x.data(), n), RTOL_FD, ATOL_FD);
  for (int i = 0; i < n; i++) t[i] = 0.5 - 0.1 * i;
  double tan = __enzyme_fwddiff((void *)f, x.data(), t.data(), n);
  CHECK_CLOSE(what, tan, dotv(dx.data(), t.data(), n), RTOL_D, ATOL_D);
}

int main() {
  check("reaction_network", reaction_network, 5);
  check("integrate_lambda", integrate_lambda, 5);
  check("polynomial_algebra", polynomial_algebra, 6);
  check("numeric_algorithms", numeric_algorithms, 6);
  check("unique_workspace", unique_workspace, 5);
  check("array_matrices", array_matrices, 9);
  return check_report();
}
