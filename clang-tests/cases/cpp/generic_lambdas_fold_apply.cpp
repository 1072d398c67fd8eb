// CFLAGS: -std=c++17
// Modern C++ templates around active values: a fold expression over a parameter pack, a
// softmax over std::array<double, N> with std::transform and std::max_element, a generic
// (auto) lambda passed to a function template with `if constexpr`, std::apply of a lambda to a
// std::tuple, a std::function with an init-capture by value beside a capture by reference,
// std::inner_product with std::plus<> and std::multiplies<>, structured bindings.
// Oracles: central finite differences of every input, forward vs reverse.
#include "check.h"
#include <array>
#include <cmath>
#include <functional>
#include <numeric>
#include <tuple>
#include <algorithm>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

template <typename... T> static double sum_sq(T... v) { return ((v * v) + ...); }
template <std::size_t N> static std::array<double, N> softmax(const std::array<double, N> &a) {
  std::array<double, N> out;
  double m = *std::max_element(a.begin(), a.end());
  std::transform(a.begin(), a.end(), out.begin(), [m](double v) { return std::exp(v - m); });
  double z = std::accumulate(out.begin(), out.end(), 0.0);
  for (auto &o : out) o /= z;
  return out;
}
template <typename F, std::size_t N> static double reduce(F f, const std::array<double, N> &a) {
  double s = 0;
  for (std::size_t i = 0; i < N; i++) {
    if constexpr (N > 3) s += f(a[i], (double)i);
    else s += f(a[i], 0.0);
  }
  return s;
}

static double obj(const double *x) {
  std::array<double, 6> a;
  std::copy(x, x + 6, a.begin());
  auto p = softmax(a);
  auto gen = [](auto v, auto w) { return v * std::log(v + 1e-3) + 0.1 * w * v; };
  double s = reduce(gen, p);
  auto tup = std::make_tuple(x[0] * x[1], std::sin(x[2]), x[3] / (1 + x[4] * x[4]));
  s += std::apply([](auto... v) { return sum_sq(v...); }, tup);
  std::function<double(double)> sq = [&, c = x[5]](double v) { return c * v * v + a[0]; };
  s += sq(x[1]) +
       std::inner_product(a.begin(), a.end(), p.begin(), 0.0, std::plus<>(), std::multiplies<>());
  auto [u, v, w] = tup;
  return s + u * v - w;
}

int main() {
  const int n = 6;
  double x[n] = {0.3, -0.8, 1.1, 0.45, 0.6, -1.3}, dx[n] = {0};
  double t[n] = {0.2, -0.5, 0.7, 1.0, -0.3, 0.4};
  __enzyme_autodiff((void *)obj, enzyme_dup, x, dx);
  CHECK_ARRAY_FD("obj", x, n, dx, 1e-7, obj(x), RTOL_FD, ATOL_FD);
  double jv = __enzyme_fwddiff((void *)obj, enzyme_dup, x, t);
  CHECK_CLOSE("fwd vs rev", jv, dotv(dx, t, n), 1e-9, 1e-12);
  return check_report();
}
