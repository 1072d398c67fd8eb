// CFLAGS: -std=c++17
// A realistic mix of C++17 library code inside the differentiated function: an
// std::unordered_map<std::string, double> configuration built from active inputs (a key longer
// than a short string's buffer, whose characters live on the heap, and a short one), looked up
// by name (hashing the key's characters with libstdc++'s out-of-line std::_Hash_bytes, through a
// pointer that is the string's own buffer or its heap buffer), std::vector<std::vector<double>>,
// std::array, std::accumulate with a capturing lambda, a std::tuple returned and unpacked with
// structured bindings, and std::optional. ferment used to stop at -O1..-O3 with a false "merges
// pointers to duplicated data with pointers to constant data" at the hashing call. Oracles:
// central differences, and forward vs reverse.
#include "check.h"
#include <array>
#include <numeric>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
static std::optional<double> safe_log(double v) { if (v <= 0) return std::nullopt; return log(v); }
static std::tuple<double, double> stats(const std::vector<double> &v) {
  double m = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  double s = std::accumulate(v.begin(), v.end(), 0.0, [m](double a, double b) { return a + (b - m) * (b - m); });
  return {m, s};
}
static double f(const double *w) {
  std::unordered_map<std::string, double> cfg{{"scale_parameter_long", w[0]}, {"b", w[1]}};
  std::vector<std::vector<double>> rows(3, std::vector<double>(2));
  std::array<double, 3> a{w[0], w[1], w[2]};
  for (int i = 0; i < 3; i++) for (int j = 0; j < 2; j++) rows[i][j] = a[i] * (j + 1) * cfg["b"];
  std::vector<double> flat;
  for (auto &r : rows) for (double x : r) flat.push_back(x);
  auto [m, s] = stats(flat);
  double l = safe_log(s).value_or(0.0);
  return cfg["scale_parameter_long"] * m + l;
}
int main() {
  double w[3] = {0.7, 1.3, -0.4}, dw[3] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, w, dw);
  CHECK_ARRAY_FD("dw", w, 3, dw, 1e-6, f(w), RTOL_FD, ATOL_FD);
  for (int i = 0; i < 3; i++) {
    double t[3] = {0, 0, 0};
    t[i] = 1;
    CHECK_CLOSE("forward vs reverse", __enzyme_fwddiff((void *)f, enzyme_dup, w, t), dw[i], RTOL_D, ATOL_D);
  }
  return check_report();
}
