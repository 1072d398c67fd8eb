// CFLAGS: -std=c++17
// std::sort of active values inside the differentiated function. At -O3 loop unswitching guards
// the hoisted "empty range" test with a `freeze` of the vector's end pointer, and the introsort
// loop's last-pointer phi merges that frozen pointer with a partition pointer: the freeze must be
// a pointer with a shadow like a bitcast (it was a false "merges pointers to duplicated data with
// pointers to constant data" error). Reverse vs finite differences, forward vs reverse.
#include "check.h"
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

// sorted values v_(k) of x_i^2 - x_i, weighted by rank; plus (sum v)^2 and the minimum
static double ranked(const double *x, int n) {
  std::vector<double> v(x, x + n);
  for (auto &e : v)
    e = e * e - e;
  std::sort(v.begin(), v.end());
  double s = 0;
  for (int i = 0; i < n; i++)
    s += v[i] * (i + 1);
  double acc = std::accumulate(v.begin(), v.end(), 0.0);
  return s + acc * acc + *std::min_element(v.begin(), v.end());
}

static double ranked_fd(const double *x, const void *ctx) { return ranked(x, *(const int *)ctx); }

int main() {
  const int n = 20; // above std::sort's insertion-sort threshold of 16: the introsort loop runs
  double x[n], dx[n] = {0};
  for (int i = 0; i < n; i++)
    x[i] = 1.5 * std::sin(2.3 * i); // distinct values: the sort order is locally constant
  __enzyme_autodiff((void *)ranked, enzyme_dup, x, dx, enzyme_const, n);
  CHECK_GRAD_FD("d ranked / dx", ranked_fd, &n, x, n, dx, 1e-5, 1e-6);

  double v[n], dv = 0;
  unsigned st = 7;
  for (int i = 0; i < n; i++)
    v[i] = prand(&st);
  double jv = __enzyme_fwddiff((void *)ranked, enzyme_dup, x, v, enzyme_const, n);
  for (int i = 0; i < n; i++)
    dv += dx[i] * v[i];
  CHECK_CLOSE("forward J v vs reverse dx . v", jv, dv, 1e-9, 1e-12);
  return check_report();
}
