// CFLAGS: -std=c++17
// std::sort of std::pair<double, int> (value, original index) with a lambda comparator, then
// the values weighted by rank and the inputs looked up through the sorted indices. The sort's
// insertion step walks a pointer backward one pair at a time and reads the int of the pair
// before it (p[-1].second): type analysis keeps no negative offsets, and a tree filled with
// copies of the pair layout at large offsets refused what an access at offset 0 says, so both
// reads came out "memory of Unknown type read as an integer" (at -O0 and at -O2). Reverse vs
// finite differences, forward vs reverse.
#include "check.h"
#include <algorithm>
#include <utility>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static double ranked(const double *x, int n) {
  std::vector<std::pair<double, int>> v;
  for (int i = 0; i < n; i++)
    v.emplace_back(std::sin(x[i]) + 0.1 * x[i] * x[i], i);
  std::sort(v.begin(), v.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
  double s = 0;
  for (int i = 0; i < n; i++)
    s += v[i].first * (i + 1) + x[v[i].second] * 0.1 * i;
  return s;
}

static double ranked_fd(const double *x, const void *ctx) { return ranked(x, *(const int *)ctx); }

int main() {
  unsigned seed = 3;
  for (int n : {5, 20, 40}) { // 40: past introsort's threshold of 16, so the heap path runs too
    std::vector<double> x(n), g(n, 0.0), dx(n);
    for (int i = 0; i < n; i++)
      x[i] = 3.0 * prand(&seed);
    __enzyme_autodiff((void *)ranked, enzyme_dup, x.data(), g.data(), enzyme_const, n);
    CHECK_GRAD_FD("sorted pairs: reverse vs finite differences", ranked_fd, &n, x.data(), n,
                  g.data(), RTOL_FD, ATOL_FD);
    for (int i = 0; i < n; i++)
      dx[i] = prand(&seed);
    double t = __enzyme_fwddiff((void *)ranked, enzyme_dup, x.data(), dx.data(), enzyme_const, n);
    CHECK_CLOSE("sorted pairs: forward vs reverse", t, dotv(g.data(), dx.data(), n), RTOL_D, ATOL_D);
  }
  return check_report();
}
