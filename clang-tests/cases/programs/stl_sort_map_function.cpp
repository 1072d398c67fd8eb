// C++ standard library in a differentiated function: std::function, lambdas, std::sort of
// active doubles, std::map<std::string,double>, std::accumulate/inner_product, std::array,
// std::pair returned by value, std::min/std::max, std::string formatting (inactive).
// Written as a new user's Enzyme program (session 36). Oracle: central differences (and forward vs reverse, analytic where noted).
#include "check.h"
#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <numeric>
#include <string>
#include <vector>
extern "C" { extern int enzyme_dup, enzyme_const, enzyme_out; }
template <typename R, typename... A> R __enzyme_autodiff(void *, A...);
template <typename R, typename... A> R __enzyme_fwddiff(void *, A...);

static std::pair<double, double> stats(const std::vector<double> &v) {
  double m = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return {m, s / v.size()};
}

double f_sorted(const double *x, int n) {
  std::vector<double> v(x, x + n);
  std::sort(v.begin(), v.end());
  double w = 0;
  for (int i = 0; i < n; i++) w += (i + 1) * v[i];
  auto st = stats(v);
  return w + st.first * st.second;
}

double f_map(const double *x, int n) {
  std::map<std::string, double> m;
  for (int i = 0; i < n; i++) m["k" + std::to_string(i % 3)] += x[i] * x[i];
  double r = 0;
  for (auto &kv : m) r += kv.second * kv.first.size() * std::sqrt(kv.second + 1.0);
  return r;
}

double f_func(const double *x, int n) {
  std::function<double(double)> g = [](double t) { return std::sin(t) * t; };
  double scale = x[0];
  auto h = [&](double t) { return scale * g(t); };
  std::array<double, 4> a{};
  for (int i = 0; i < 4 && i < n; i++) a[i] = h(x[i]);
  double ip = std::inner_product(a.begin(), a.end(), x, 0.0);
  return std::max(ip, -1.0) + std::min(a[1], a[2]);
}

template <double (*F)(const double *, int)> static void check(const char *name) {
  const int n = 5;
  double x[n] = {0.3, -1.2, 0.8, 2.1, -0.4}, dx[n] = {0};
  __enzyme_autodiff<void>((void *)F, enzyme_dup, (const double *)x, dx, enzyme_const, n);
  CHECK_ARRAY_FD(name, x, n, dx, 1e-6, F(x, n), RTOL_FD, ATOL_FD);
  double v[n] = {1, -0.5, 0.25, 0.7, 0.2};
  double t = __enzyme_fwddiff<double>((void *)F, enzyme_dup, (const double *)x, (const double *)v, enzyme_const, n);
  double want = 0;
  for (int i = 0; i < n; i++) want += v[i] * dx[i];
  CHECK_CLOSE(name, t, want, 1e-9, 1e-10);
}
int main() {
  check<f_sorted>("sorted");
  check<f_map>("map");
  check<f_func>("function");
  return check_report();
}
