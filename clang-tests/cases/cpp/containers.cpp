// C++ standard containers holding doubles inside the differentiated function: std::map (its
// red-black tree is linked by libstdc++'s out-of-line insert/rebalance/increment, which ferment
// repeats on the shadow nodes), std::unordered_map with std::string keys (hashing and string
// members carry no derivative), and std::vector of structs. Oracle: central finite differences.
// CFLAGS: -std=c++17 -fno-exceptions
#include "check.h"
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Pt {
  double a, b;
};

static double ordered(double x) {
  std::map<int, double> m;
  for (int i = 5; i > 0; i--) m[i * 7 % 11] = x * i + sin(x * i);
  m[3] += x * x;
  double s = 0.0;
  int k = 1;
  for (auto &kv : m) s += kv.second * (k++);
  m.erase(3);
  for (auto &kv : m) s += kv.second * kv.second;
  return s;
}

static double keyed(double x) {
  std::unordered_map<std::string, double> m;
  m["alpha"] = x * x;
  m["beta"] = sin(x);
  m["gamma"] = m["alpha"] * m["beta"];
  double s = 0.0;
  for (auto &kv : m) s += kv.second * (double)kv.first.size();
  return s + m.at("gamma");
}

static double points(double x) {
  std::vector<Pt> v;
  for (int i = 0; i < 9; i++) v.push_back({x * i, cos(x + i)});
  double s = 0.0;
  for (auto &p : v) s += p.a * p.b;
  return s;
}

int main() {
  static const double xs[] = {0.3, 0.7, -1.1};
  char what[128];
  for (double x : xs) {
#define W(s) (snprintf(what, sizeof what, "%s at %g", s, x), what)
    CHECK_CLOSE(W("reverse std::map"), __enzyme_autodiff((void *)ordered, x), fd1(ordered, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("forward std::map"), __enzyme_fwddiff((void *)ordered, x, 1.0), fd1(ordered, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("reverse unordered_map<string,double>"), __enzyme_autodiff((void *)keyed, x), fd1(keyed, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("forward unordered_map<string,double>"), __enzyme_fwddiff((void *)keyed, x, 1.0), fd1(keyed, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("reverse vector<struct>"), __enzyme_autodiff((void *)points, x), fd1(points, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("forward vector<struct>"), __enzyme_fwddiff((void *)points, x, 1.0), fd1(points, x), RTOL_FD, ATOL_FD);
#undef W
  }
  return check_report();
}
