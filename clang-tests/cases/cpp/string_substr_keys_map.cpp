// CFLAGS: -std=c++17
// Session 37 (issue 14): std::map<std::string, double> accumulators keyed by substrings
// (std::string::substr of a long constant text, a new heap string from the library) and by
// copies and moves of such strings (copy and move assignment inside the differentiated
// function). Oracles: central finite differences, forward vs reverse.
#include "check.h"
#include <cmath>
#include <map>
#include <string>
#include <utility>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
enum { N = 5 };
static const std::string TEXT = "alpha-parameter-group-with-long-name/beta-parameter-group-with-long-name";

static double grouped(const double *x) {
  std::map<std::string, double> acc;
  std::string last;
  for (int i = 0; i < N; i++) {
    std::string key = TEXT.substr((i % 2) * 37, 35);
    std::string copy;
    copy = key;                       // copy assignment
    acc[copy] += x[i] * x[i];
    std::string moved;
    moved = std::move(key);           // move assignment: the heap block changes hands
    acc[moved + "/squared"] += std::cos(x[i]);
    last = moved;
  }
  double s = 0;
  for (auto &kv : acc) s += kv.second * kv.second * (kv.first == last ? 2.0 : 1.0);
  return s;
}

int main() {
  double x[N] = {0.3, -0.7, 1.1, 0.5, -0.2}, dx[N] = {0}, t[N] = {0.5, -0.25, 1.0, 0.1, 0.3};
  __enzyme_autodiff((void *)grouped, x, dx);
  for (int i = 0; i < N; i++) CHECK_CLOSE("d/dx", dx[i], fdv(grouped, x, N, i), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("forward", __enzyme_fwddiff((void *)grouped, x, t), dotv(dx, t, N), RTOL_D, ATOL_D);
  return check_report();
}
