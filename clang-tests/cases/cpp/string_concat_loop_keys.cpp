// CFLAGS: -std=c++17
// Session 37 (issue 14): a key grown with `+=` across loop iterations (each growth past the
// capacity reallocates inside libstdc++), copied into a std::map<std::string,
// std::vector<double>> as keys at every step, and a std::vector<std::string> of
// std::to_string results concatenated with `+`. Oracles: central finite differences, forward
// vs reverse.
#include "check.h"
#include <cmath>
#include <map>
#include <string>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
enum { N = 6 };

static double path_sums(const double *x) {
  std::map<std::string, std::vector<double>> by_path;
  std::vector<std::string> names;
  std::string path = "root";
  for (int i = 0; i < N; i++) {
    path += "/node";
    path += std::to_string(i);
    by_path[path].push_back(x[i] * x[i]);
    by_path[path].push_back(std::sin(x[i]));
    names.push_back(std::to_string(i) + "-" + path);
  }
  double s = 0;
  int k = 0;
  for (auto &kv : by_path) {
    double part = kv.second[0] * kv.second[1];
    s += part * (double)(1 + (k++ % 3)) + (double)names[k - 1].size() * 1e-3 * kv.second[0];
  }
  return s;
}

int main() {
  double x[N] = {0.3, -0.7, 1.1, 0.5, -0.2, 0.9}, dx[N] = {0}, t[N] = {0.5, -0.25, 1.0, 0.1, 0.3, -0.6};
  __enzyme_autodiff((void *)path_sums, x, dx);
  for (int i = 0; i < N; i++) CHECK_CLOSE("d/dx", dx[i], fdv(path_sums, x, N, i), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("forward", __enzyme_fwddiff((void *)path_sums, x, t), dotv(dx, t, N), RTOL_D, ATOL_D);
  return check_report();
}
