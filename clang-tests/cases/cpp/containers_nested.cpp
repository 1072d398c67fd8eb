// CFLAGS: -std=c++17
// Standard containers of doubles in the differentiated function: std::vector (push_back,
// range construction, insert), std::map with std::string keys, std::unordered_map<int,double>,
// a vector of vectors, and maps of vectors. At -O0 the hash table's buckets point either at a
// node (whose double value lies at offset 16) or at the table's own `_M_before_begin` (16 bytes
// past which lies the table's float load factor): type analysis records a float/double conflict
// in memory reached through the buckets, and that conflict used to make every integer read of
// the table or of a node (the bucket count, an int key) a false "type conflict" error.
// Oracle: central finite differences, reverse and forward.
#include "check.h"
#include <map>
#include <unordered_map>
#include <vector>
#include <string>
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
static double vec_ops(double x) {
  std::vector<double> v;
  for (int i = 0; i < 10; i++) v.push_back(x * i);
  std::vector<double> w(v.begin(), v.end());
  w.insert(w.begin() + 2, x * x);
  double s = 0;
  for (double d : w) s += d * d;
  return s;
}
static double map_ops(double x) {
  std::map<std::string, double> m;
  m["a"] = x; m["b"] = x * x; m["c"] = sin(x);
  std::unordered_map<int, double> u;
  for (int i = 0; i < 20; i++) u[i] = x * i + m["b"];
  double s = 0;
  for (auto &kv : m) s += kv.second;
  for (auto &kv : u) s += kv.second * kv.second;
  return s;
}
static double vec_of_vec(double x) {
  std::vector<std::vector<double>> vv(4);
  for (int i = 0; i < 4; i++) for (int j = 0; j <= i; j++) vv[i].push_back(x + i * j);
  double s = 0;
  for (auto &v : vv) for (double d : v) s += d * x;
  return s;
}
static double map_vec(double x) {
  std::map<int, std::vector<double>> m;
  for (int i = 0; i < 5; i++) m[i % 3].push_back(x * (i + 1));
  std::unordered_map<std::string, std::vector<double>> u;
  u["k"].push_back(x); u["k"].push_back(x * x); u["z"].push_back(3 * x);
  double s = 0;
  for (auto &kv : m) for (double d : kv.second) s += d * d;
  for (auto &kv : u) for (double d : kv.second) s += d;
  return s;
}
int main() {
  for (double x : {0.3, -0.8}) {
    CHECK_CLOSE_AT("reverse vector", x, __enzyme_autodiff((void *)vec_ops, x), fd1(vec_ops, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse map<string>, unordered_map<int>", x, __enzyme_autodiff((void *)map_ops, x), fd1(map_ops, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse vector of vectors", x, __enzyme_autodiff((void *)vec_of_vec, x), fd1(vec_of_vec, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse maps of vectors", x, __enzyme_autodiff((void *)map_vec, x), fd1(map_vec, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("forward vector", x, __enzyme_fwddiff((void *)vec_ops, x, 1.0), fd1(vec_ops, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("forward map<string>, unordered_map<int>", x, __enzyme_fwddiff((void *)map_ops, x, 1.0), fd1(map_ops, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("forward vector of vectors", x, __enzyme_fwddiff((void *)vec_of_vec, x, 1.0), fd1(vec_of_vec, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("forward maps of vectors", x, __enzyme_fwddiff((void *)map_vec, x, 1.0), fd1(map_vec, x), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
