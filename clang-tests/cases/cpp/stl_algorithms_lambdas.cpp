// CFLAGS: -std=c++17
// Standard algorithms and vocabulary types with lambdas, as Enzyme users write them:
// std::transform/accumulate/inner_product/max_element, std::valarray arithmetic, a function
// returning std::optional<std::tuple> unpacked by structured bindings, a
// std::map<std::string, double> of parameters built inside, std::sort with std::greater.
// Oracles: central finite differences (reverse), forward vs reverse per coordinate.
#include "check.h"
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <tuple>
#include <valarray>
#include <vector>
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

// std::transform + std::accumulate + std::inner_product with lambdas
static double algos(const double *x, int n) {
  std::vector<double> v(x, x + n), w(n);
  std::transform(v.begin(), v.end(), w.begin(), [](double a) { return std::tanh(a); });
  double s = std::accumulate(w.begin(), w.end(), 0.0, [](double acc, double a) { return acc + a * a; });
  double d = std::inner_product(v.begin(), v.end(), w.begin(), 0.0);
  auto mx = *std::max_element(v.begin(), v.end());
  return s + d + mx;
}
// std::valarray arithmetic
static double valar(const double *x, int n) {
  std::valarray<double> v(x, n);
  std::valarray<double> u = v * v + std::sin(v);
  return u.sum() + (v * u).max();
}
// std::optional, std::tuple and structured bindings
static std::optional<std::tuple<double, double>> stats(const std::vector<double> &v) {
  if (v.empty())
    return std::nullopt;
  double m = 0, q = 0;
  for (double a : v)
    m += a;
  m /= v.size();
  for (double a : v)
    q += (a - m) * (a - m);
  return std::make_tuple(m, q / v.size());
}
static double tup(const double *x, int n) {
  std::vector<double> v(x, x + n);
  auto r = stats(v);
  if (!r)
    return 0;
  auto [m, var] = *r;
  return m * m + std::sqrt(var + 1.0);
}
// std::map<std::string, double> of parameters built inside
static double mapped(const double *x, int n) {
  std::map<std::string, double> p;
  for (int i = 0; i < n; i++)
    p["w" + std::to_string(i)] = x[i];
  double s = 0;
  for (auto &[k, v] : p)
    s += v * v * (k.size() + 1);
  return s + p["w0"] * p["w1"];
}
// std::sort by a derivative-carrying key, then weighted sum
static double sorted(const double *x, int n) {
  std::vector<double> v(x, x + n);
  std::sort(v.begin(), v.end(), std::greater<double>());
  double s = 0;
  for (int i = 0; i < n; i++)
    s += (i + 1) * v[i] * v[i];
  return s;
}
typedef double (*fn)(const double *, int);
static void check(const char *name, fn f, double *x, int n) {
  double dx[8] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, n);
  CHECK_ARRAY_FD(name, x, n, dx, 1e-6, f(x, n), RTOL_FD, ATOL_FD);
  for (int i = 0; i < n; i++) {
    double t[8] = {0};
    t[i] = 1;
    double fw = __enzyme_fwddiff((void *)f, enzyme_dup, x, t, enzyme_const, n);
    CHECK_CLOSE(name, fw, dx[i], RTOL_D, ATOL_D);
  }
}
int main() {
  double x[6] = {0.3, -1.2, 0.8, 2.1, -0.4, 1.5};
  check("algos", algos, x, 6);
  check("valarray", valar, x, 6);
  check("tuple", tup, x, 6);
  check("map", mapped, x, 6);
  check("sorted", sorted, x, 6);
  return check_report();
}
