// CFLAGS: -std=c++17
// Session 37 (issue 14): a std::vector<std::pair<std::string, double>> of named terms built inside
// the differentiated function, the names longer than the short-string buffer
// ("a-rather-long-term-name-" + std::to_string(i), libstdc++'s out-of-line `_M_replace`) and the
// values active, then looked up by name (std::find_if) and combined. Oracles: central finite
// differences, forward vs reverse.
#include "check.h"
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
enum { N = 5 };

static double named_terms(const double *x) {
  std::vector<std::pair<std::string, double>> terms;
  for (int i = 0; i < N; i++) terms.emplace_back("a-rather-long-term-name-" + std::to_string(i), x[i] * x[i]);
  for (int i = 0; i < N; i++) terms.push_back({"derived-term-with-long-name-" + std::to_string(i), std::exp(0.3 * x[i])});
  double s = 0;
  for (int i = 0; i < N; i++) {
    std::string want = "derived-term-with-long-name-" + std::to_string(N - 1 - i);
    auto it = std::find_if(terms.begin(), terms.end(), [&](const auto &p) { return p.first == want; });
    s += terms[i].second * it->second;
  }
  return s;
}

int main() {
  double x[N] = {0.3, -0.7, 1.1, 0.5, -0.2}, dx[N] = {0}, t[N] = {0.5, -0.25, 1.0, 0.1, 0.3};
  __enzyme_autodiff((void *)named_terms, x, dx);
  for (int i = 0; i < N; i++) CHECK_CLOSE("d/dx", dx[i], fdv(named_terms, x, N, i), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("forward", __enzyme_fwddiff((void *)named_terms, x, t), dotv(dx, t, N), RTOL_D, ATOL_D);
  return check_report();
}
