// CFLAGS: -std=c++17
// Less common standard containers holding active doubles: std::valarray (element-wise
// expressions, std::sin, a std::slice and a strided slice_array copied out, sum()), a
// std::tuple returned from a helper and unpacked with structured bindings, a std::deque filled
// at both ends, a std::priority_queue of (double, int) pairs popped in order of active values,
// std::complex<double> products with abs() and arg(), std::inner_product over valarray
// iterators. Reverse mode; forward mode along each input. Oracles: central finite differences
// of the primal; forward against reverse.
#include "check.h"
#include <cmath>
#include <deque>
#include <queue>
#include <tuple>
#include <valarray>
#include <vector>
#include <numeric>
#include <complex>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static std::tuple<double, double, int> stats(const std::valarray<double> &v) {
  return {v.sum(), (v * v).sum(), (int)v.size()};
}

static double f(const double *x, int n) {
  std::valarray<double> v(x, n);
  std::valarray<double> w = std::sin(v) * 2.0 + std::valarray<double>(v[std::slice(0, n, 1)]) * v;
  std::valarray<double> even = w[std::slice(0, (n + 1) / 2, 2)];
  auto [s, s2, m] = stats(even);
  std::deque<double> dq;
  for (int i = 0; i < n; i++) {
    if (i % 2) dq.push_front(x[i] * s);
    else dq.push_back(x[i] + s2);
  }
  std::priority_queue<std::pair<double, int>> pq;
  for (int i = 0; i < n; i++)
    pq.push({dq[i] * 0.37 + i * 0.01, i});
  double acc = 0;
  int k = 0;
  while (!pq.empty() && k < 4) {
    auto [val, idx] = pq.top();
    pq.pop();
    acc += val * (idx + 1);
    k++;
  }
  std::complex<double> z(x[0], x[1]);
  for (int i = 2; i < n; i++)
    z = z * std::complex<double>(std::cos(x[i]), std::sin(x[i])) + 0.1 * z;
  double inner = std::inner_product(std::begin(w), std::end(w), x, 0.0);
  return acc + std::abs(z) + std::arg(z) + inner / m;
}
static double f_at(const double *x, const void *c) { return f(x, *(const int *)c); }

int main() {
  const int n = 7;
  double x[n], dx[n] = {0};
  for (int i = 0; i < n; i++)
    x[i] = 0.4 + 0.13 * i * (i % 2 ? -1 : 1);
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, n);
  int nn = n;
  CHECK_GRAD_FD("reverse", f_at, &nn, x, n, dx, RTOL_FD, ATOL_FD);
  for (int k = 0; k < n; k++) {
    double t[n] = {0};
    t[k] = 1;
    CHECK_CLOSE("fwd vs rev", __enzyme_fwddiff((void *)f, enzyme_dup, x, t, enzyme_const, n), dx[k], RTOL_D, ATOL_D);
  }
  return check_report();
}
