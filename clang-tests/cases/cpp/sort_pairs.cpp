// CFLAGS: -std=c++17
// std::sort of a std::vector<std::pair<double,int>> by .first inside the differentiated function;
// the objective uses the sorted firsts (weighted by rank) and the carried seconds (integers that
// travel with the doubles through the sort's swaps and moves). Every element is 16 bytes: a
// double at 0 and an int at 8. Type analysis used to refuse the int at [8] with a false
// "Unknown memory read as an integer" error. Reverse vs finite differences, forward vs reverse.
#include "check.h"
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static double ranked_pairs(const double *x, int n) {
  std::vector<std::pair<double, int>> v;
  v.reserve(n);
  for (int i = 0; i < n; i++)
    v.emplace_back(x[i] * x[i] - 0.5 * x[i], i);
  std::sort(v.begin(), v.end(),
            [](const std::pair<double, int> &a, const std::pair<double, int> &b) {
              return a.first < b.first;
            });
  double s = 0;
  for (int k = 0; k < n; k++)
    s += v[k].first * (k + 1) + 0.25 * v[k].first * (v[k].second % 3);
  return s;
}

static double ranked_pairs_fd(const double *x, const void *ctx) {
  return ranked_pairs(x, *(const int *)ctx);
}

int main() {
  const int n = 24; // above std::sort's insertion-sort threshold of 16: the introsort loop runs
  double x[n], dx[n] = {0};
  for (int i = 0; i < n; i++)
    x[i] = 1.5 * std::sin(2.3 * i + 0.1); // distinct values: the order is locally constant
  __enzyme_autodiff((void *)ranked_pairs, enzyme_dup, x, dx, enzyme_const, n);
  CHECK_GRAD_FD("d ranked_pairs / dx", ranked_pairs_fd, &n, x, n, dx, 1e-5, 1e-6);

  double v[n], dv = 0;
  unsigned st = 11;
  for (int i = 0; i < n; i++)
    v[i] = prand(&st);
  double jv = __enzyme_fwddiff((void *)ranked_pairs, enzyme_dup, x, v, enzyme_const, n);
  for (int i = 0; i < n; i++)
    dv += dx[i] * v[i];
  CHECK_CLOSE("forward J v vs reverse dx . v", jv, dv, 1e-9, 1e-12);
  return check_report();
}
