// CFLAGS: -std=c++17
// Iterator-heavy standard algorithms over active data, as people write them: piecewise-linear
// interpolation in a table whose knots are constant and values active (std::upper_bound on the
// knots, an iterator difference for the index), std::max_element / std::min_element with a
// lambda on an active vector, std::nth_element for a median of active values, std::accumulate
// over a std::vector of structs with a lambda, std::sort of structs by an active key with the
// structs' doubles carried along. At -O0 every iterator lives in a __normal_iterator stack
// object, passed by reference through the algorithms' helpers. Oracles: central finite
// differences of every input (the sort keys x_i^2 - 0.2 i kept apart), forward vs reverse.
#include "check.h"
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static const std::vector<double> knots = {0.0, 0.5, 1.0, 1.5, 2.5, 4.0};

static double interp(const std::vector<double> &vals, double t) {
  auto it = std::upper_bound(knots.begin(), knots.end(), t);
  long i = std::clamp<long>((it - knots.begin()) - 1, 0, (long)knots.size() - 2);
  double w = (t - knots[i]) / (knots[i + 1] - knots[i]);
  return (1 - w) * vals[i] + w * vals[i + 1];
}

struct Item {
  double key, weight;
  int id;
};

double algorithms(const double *x, int n) {
  std::vector<double> vals(x, x + 6);
  double s = 0;
  for (int j = 0; j < 7; j++) s += interp(vals, 0.3 + 0.55 * j) * (1 + 0.1 * j);
  std::vector<double> v(x, x + n);
  for (auto &e : v) e = std::sin(e) + 0.3 * e;
  auto mx = std::max_element(v.begin(), v.end(), [](double a, double b) { return a < b; });
  auto mn = std::min_element(v.begin(), v.end());
  s += *mx * *mx - 0.5 * *mn;
  std::vector<double> c(v);
  std::nth_element(c.begin(), c.begin() + n / 2, c.end());
  s += 2.0 * c[n / 2];
  std::vector<Item> items;
  for (int i = 0; i < n; i++) items.push_back({x[i] * x[i] - 0.2 * i, std::exp(0.2 * x[i]), i});
  std::sort(items.begin(), items.end(), [](const Item &a, const Item &b) { return a.key < b.key; });
  s += std::accumulate(items.begin(), items.end(), 0.0, [k = 0](double acc, const Item &it) mutable {
    return acc + (++k) * it.weight * (it.id + 1) * 0.1;
  });
  return s;
}

int main() {
  const int n = 9;
  double x[n] = {0.3, -1.2, 0.75, 1.9, -0.4, 0.8, 0.25, -0.6, 1.1};
  std::vector<double> xs(x, x + n), dx(n, 0.0), t(n);
  __enzyme_autodiff((void *)algorithms, xs.data(), dx.data(), n);
  CHECK_ARRAY_FD("algorithms", xs, n, dx, 1e-6, algorithms(xs.data(), n), RTOL_FD, ATOL_FD);
  for (int i = 0; i < n; i++) t[i] = 0.3 + 0.1 * i - 0.05 * i * i;
  double tan = __enzyme_fwddiff((void *)algorithms, xs.data(), t.data(), n);
  CHECK_CLOSE("forward vs reverse", tan, dotv(dx.data(), t.data(), n), RTOL_D, ATOL_D);
  return check_report();
}
