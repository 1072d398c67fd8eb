// CFLAGS: -std=c++17
// Split mode with std::unordered_map parameters, more shapes: a loop over the map comparing each
// key with a literal and by length (short and heap keys), count()/at() of names from a
// std::vector<std::string> (one missing); a std::unordered_map<std::string, std::vector<double>>
// with a std::map<std::string, double> of weights, its tape in caller memory (enzyme_allocated,
// `__enzyme_augmentsize`). Oracle: central differences of the loss in each map value.
#include "check.h"
#include <cmath>
#include <string>
#include <unordered_map>
#include <map>
#include <vector>
extern "C" void *__enzyme_augmentfwd(void *, ...);
extern "C" void __enzyme_reverse(void *, ...);
extern "C" long __enzyme_augmentsize(void *, ...);
extern "C" int enzyme_allocated, enzyme_tape;
using Params = std::unordered_map<std::string, double>;
using VParams = std::unordered_map<std::string, std::vector<double>>;

static double loss1(const Params &p, const std::vector<std::string> &names) {
  double s = 0;
  for (const auto &kv : p) {
    if (kv.first == "bias") s += kv.second;
    else if (kv.first.size() > 10) s += std::sin(kv.second) * kv.second;
    else s += kv.second * kv.second;
  }
  for (const auto &n : names) if (p.count(n)) s *= 1.0 + 0.1 * p.at(n);
  return s;
}
static double loss2(const VParams &p, const std::map<std::string, double> &w) {
  double s = 0;
  for (const auto &[k, v] : p) {
    double wk = w.at(k);
    for (double e : v) s += wk * e * e;
  }
  return s * p.at("a").at(0);
}
static double loss3(Params p) {  // by value
  p["derived"] = p["x"] * p["y"];
  return p["derived"] * p["x"] + std::exp(p["y"]);
}
int main() {
  Params p{{"bias", 0.3}, {"a_very_long_parameter_name", 1.2}, {"k", -0.7}};
  std::vector<std::string> names{"k", "missing", "bias"};
  Params dp{{"bias", 0}, {"a_very_long_parameter_name", 0}, {"k", 0}};
  void *tape = __enzyme_augmentfwd((void *)loss1, enzyme_dup, &p, &dp, enzyme_const, &names);
  __enzyme_reverse((void *)loss1, enzyme_dup, &p, &dp, enzyme_const, &names, 1.0, tape);
  for (auto &kv : p) {
    double o = kv.second, h = 1e-6;
    kv.second = o + h; double fp = loss1(p, names);
    kv.second = o - h; double fm = loss1(p, names);
    kv.second = o;
    CHECK_CLOSE(kv.first.c_str(), dp[kv.first], (fp - fm) / (2 * h), RTOL_FD, ATOL_FD);
  }
  VParams q{{"a", {0.5, 1.5}}, {"b_long_name_for_the_heap", {0.2, -0.4, 0.9}}};
  VParams dq{{"a", {0, 0}}, {"b_long_name_for_the_heap", {0, 0, 0}}};
  std::map<std::string, double> w{{"a", 2.0}, {"b_long_name_for_the_heap", -0.5}};
  long sz = __enzyme_augmentsize((void *)loss2, enzyme_dup, enzyme_const);
  std::vector<char> tb(sz > 0 ? sz : 1);
  __enzyme_augmentfwd((void *)loss2, enzyme_allocated, sz, enzyme_tape, tb.data(), enzyme_dup, &q, &dq, enzyme_const, &w);
  __enzyme_reverse((void *)loss2, enzyme_allocated, sz, enzyme_tape, tb.data(), enzyme_dup, &q, &dq, enzyme_const, &w, 1.0);
  for (auto &kv : q)
    for (size_t i = 0; i < kv.second.size(); i++) {
      double o = kv.second[i], h = 1e-6;
      kv.second[i] = o + h; double fp = loss2(q, w);
      kv.second[i] = o - h; double fm = loss2(q, w);
      kv.second[i] = o;
      CHECK_CLOSE(kv.first.c_str(), dq[kv.first][i], (fp - fm) / (2 * h), RTOL_FD, ATOL_FD);
    }
  return check_report();
}
