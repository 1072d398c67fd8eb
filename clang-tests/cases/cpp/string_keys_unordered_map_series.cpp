// CFLAGS: -std=c++17
// Session 37 (issue 14): a std::unordered_map<std::string, std::vector<double>> built inside the
// differentiated function, keyed by strings longer than the short-string buffer made by
// "series-with-a-long-name-" + std::to_string(i % 3) (libstdc++'s out-of-line `_M_replace`, whose
// heap block only the primal string sees), each mapped vector grown by push_back of active
// values. The key's heap block moved into the shadow node was shared with the primal node (both
// maps freed it) or refused as a merge of duplicated and constant data.
// Oracles: central finite differences, forward vs reverse.
#include "check.h"
#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
enum { N = 6 };

static double series_energy(const double *x) {
  std::unordered_map<std::string, std::vector<double>> series;
  for (int i = 0; i < N; i++)
    series["series-with-a-long-name-" + std::to_string(i % 3)].push_back(std::sin(x[i]) * x[i]);
  double s = 0;
  for (const auto &kv : series) {
    double part = 0;
    for (double v : kv.second) part += v;
    s += part * part * (double)kv.first.size();
  }
  return s;
}

int main() {
  double x[N] = {0.3, -0.7, 1.1, 0.5, -0.2, 0.9}, dx[N] = {0}, t[N] = {0.5, -0.25, 1.0, 0.1, 0.3, -0.6};
  __enzyme_autodiff((void *)series_energy, x, dx);
  for (int i = 0; i < N; i++) CHECK_CLOSE("d/dx", dx[i], fdv(series_energy, x, N, i), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("forward", __enzyme_fwddiff((void *)series_energy, x, t), dotv(dx, t, N), RTOL_D, ATOL_D);
  return check_report();
}
