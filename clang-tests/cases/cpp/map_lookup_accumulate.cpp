// CFLAGS: -std=c++17
// Maps as people use them next to active values: a constant std::map<double, double> of
// knots searched with lower_bound for a piecewise-linear interpolation of an active argument
// (a functor with operator() const), std::unordered_map<int, double> and std::map<int, double>
// accumulating active values with operator[] +=, then at(), ordered iteration and find.
// Oracles: central finite differences of every input, forward vs reverse.
#include "check.h"
#include <cmath>
#include <map>
#include <unordered_map>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Table {
  std::map<double, double> pts;  // knots -> values, constant
  double operator()(double t) const {
    auto hi = pts.lower_bound(t);
    if (hi == pts.begin()) return hi->second;
    if (hi == pts.end()) return std::prev(hi)->second;
    auto lo = std::prev(hi);
    double a = (t - lo->first) / (hi->first - lo->first);
    return (1 - a) * lo->second + a * hi->second;
  }
};

static double model(const double *x, const Table *tab, int n) {
  // active values accumulated into hash buckets and an ordered map
  std::unordered_map<int, double> buckets;
  std::map<int, double> ordered;
  for (int i = 0; i < n; i++) {
    buckets[i % 4] += x[i] * x[i];
    ordered[(i * 7) % 5] += (*tab)(x[i]) * x[(i + 1) % n];
  }
  double s = 0;
  for (int k = 0; k < 4; k++) s += std::sqrt(buckets.at(k) + 1.0);
  for (auto &kv : ordered) s += (kv.first + 1) * kv.second;
  auto it = ordered.find(3);
  if (it != ordered.end()) s += it->second * it->second;
  return s;
}

int main() {
  const int n = 11;
  Table tab;
  for (int k = -4; k <= 4; k++) tab.pts[0.5 * k] = std::cos(0.8 * k) + 0.1 * k * k;
  double x[n], dx[n] = {0}, t[n];
  for (int i = 0; i < n; i++) x[i] = 1.6 * std::sin(1.9 * i + 0.3);
  __enzyme_autodiff((void *)model, enzyme_dup, x, dx, enzyme_const, &tab, enzyme_const, n);
  CHECK_ARRAY_FD("model", x, n, dx, 1e-7, model(x, &tab, n), 1e-5, 1e-6);
  unsigned st = 5;
  for (int i = 0; i < n; i++) t[i] = prand(&st);
  double jv =
      __enzyme_fwddiff((void *)model, enzyme_dup, x, t, enzyme_const, &tab, enzyme_const, n);
  CHECK_CLOSE("fwd vs rev", jv, dotv(dx, t, n), 1e-9, 1e-12);
  return check_report();
}
