// CFLAGS: -std=c++17
// LEVELS: 0 1 2 3
// Ranking losses as people write them: std::sort of an index vector (std::iota) by an active
// key through a [&] lambda, std::stable_sort of a copy of those indices by |x| through a lambda
// that captures the pointer by value, std::partial_sort of (value, index) pairs; the objective
// weights the values by rank. n = 23, above the insertion-sort threshold, distinct keys.
// Oracles: central finite differences of every input, forward vs reverse.
// At -O0 the sort's iterators (the index vector's int data, without shadow) are stored into
// `__normal_iterator` stack objects in std::__sort, copied with memcpy, passed by reference to
// the iterator's operators and loaded back: `shadow::param_escapes` follows them through those
// local objects (it counted them as escaping, and the store `key[i] = ...` was refused with a
// false "merges pointers to duplicated data with pointers to constant data"; forward mode's zero
// twins ask the separate `param_stored_or_merged`, for fuzz/fwd_over_rev_const_arg_rows.c).
// -O0 (with -g, as the harness compiles it): 36 s of CPU on session 30's plugin, nearly all type
// analysis of the three sorts' call graphs (30 derivatives, up to 146 functions each, trees
// full at 128 entries); 19 s since the trees' shift, subset and merge copy sorted entries
// instead of inserting them one by one (session 31).
#include "check.h"
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

// rank-weighted loss: sort indices by an active key, weight the values by rank
static double ranked_loss(const double *x, int n) {
  std::vector<double> key(n);
  for (int i = 0; i < n; i++) key[i] = std::sin(x[i]) + 0.1 * i;
  std::vector<int> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](int a, int b) { return key[a] < key[b]; });
  double s = 0;
  for (int r = 0; r < n; r++) s += (r + 1) * x[idx[r]] * key[idx[r]];
  // top-3 by stable_sort of a copy of the indices by |x|
  std::vector<int> by_abs(idx);
  std::stable_sort(by_abs.begin(), by_abs.end(),
                   [x](int a, int b) { return std::fabs(x[a]) > std::fabs(x[b]); });
  for (int r = 0; r < 3; r++) s += std::exp(0.3 * x[by_abs[r]]);
  // partial_sort of (value, index) pairs
  std::vector<std::pair<double, int>> pv;
  for (int i = 0; i < n; i++) pv.emplace_back(x[i] * x[i], i);
  std::partial_sort(pv.begin(), pv.begin() + 4, pv.end());
  for (int r = 0; r < 4; r++) s += pv[r].first * (pv[r].second + 1);
  return s;
}

int main() {
  const int n = 23;
  double x[n], dx[n] = {0}, t[n];
  for (int i = 0; i < n; i++) x[i] = 1.7 * std::sin(2.1 * i + 0.4) + 0.01 * i;
  __enzyme_autodiff((void *)ranked_loss, enzyme_dup, x, dx, enzyme_const, n);
  CHECK_ARRAY_FD("ranked_loss", x, n, dx, 1e-7, ranked_loss(x, n), 1e-5, 1e-6);
  unsigned st = 11;
  for (int i = 0; i < n; i++) t[i] = prand(&st);
  double jv = __enzyme_fwddiff((void *)ranked_loss, enzyme_dup, x, t, enzyme_const, n);
  CHECK_CLOSE("fwd vs rev", jv, dotv(dx, t, n), 1e-9, 1e-12);
  return check_report();
}
