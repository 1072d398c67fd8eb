// CFLAGS: -std=c++17
// The shadow of an enzyme_dup std::unordered_map<std::string, double> that the differentiated
// function grows stays a mirror of the primal map: same size(), same keys, same cached hash
// codes, so that the caller can look its derivatives up by name afterwards. ferment repeated
// only pointer stores on shadow memory; integer stores (the element count, a node's hash code,
// a key's length and characters) were left out or zeroed, so the shadow map's size() stayed at
// its old value and its new nodes had empty keys (all -O levels; at -O0 the keys' characters
// are written by out-of-line std::string members that only the primal sees, and the element
// count is repeated only where type analysis types it as an integer, so only the linked nodes
// are checked there). Integer stores into memory type analysis knows holds integers,
// and copies of characters into a string's buffer, are now repeated on the shadow (never
// cleared as adjoints). Combined and split mode; oracles: analytic gradient, central
// differences on fresh maps.
#include "check.h"
#include <cmath>
#include <string>
#include <unordered_map>
extern "C" void *__enzyme_augmentfwd(void *, ...);
extern "C" void __enzyme_reverse(void *, ...);
extern "C" void __enzyme_autodiff(void *, ...);
using Params = std::unordered_map<std::string, double>;

static double f(Params &p, const double *xp) {
  double x = *xp;
  p["b"] = x * 2.0;                 // new
  p["c"] = p["a"] * x;              // new
  p["a"] += 0.25;                   // present
  for (int i = 0; i < 8; i++)      // new (short keys from std::to_string)
    p["k" + std::to_string(i)] = x * i;
  double s = 0;
  for (int i = 0; i < 8; i++) s += std::sin(p["k" + std::to_string(i)]);
  return p["a"] * p["b"] + p["c"] * p["c"] + s + x;
}

static const double X = 0.5;
static Params fresh() { return Params{{"a", 3.0}}; }
static Params zeros() { return Params{{"a", 0.0}}; }

// f = (a + 1/4) 2x + (a x)^2 + sum_i sin(x i) + x
static void analytic(double *da, double *dx) {
  double a = 3.0, x = X, s = 0;
  for (int i = 0; i < 8; i++) s += i * std::cos(x * i);
  *da = 2.0 * x + 2.0 * a * x * x;
  *dx = 2.0 * (a + 0.25) + 2.0 * a * a * x + s + 1.0;
}
static double fd_a(double a) {
  Params p = fresh();
  p["a"] = a;
  double x = X;
  return f(p, &x);
}
static double fd_x(double x) {
  Params p = fresh();
  return f(p, &x);
}

static void check(const char *what, const Params &p, const Params &dp, double dx) {
  double da, dxx;
  analytic(&da, &dxx);
  CHECK_CLOSE(what, dp.at("a"), da, RTOL_D, ATOL_D);
  CHECK_CLOSE(what, dp.at("a"), fd1(fd_a, 3.0), RTOL_FD, ATOL_FD);
  CHECK_CLOSE(what, dx, dxx, RTOL_D, ATOL_D);
  CHECK_CLOSE(what, dx, fd1(fd_x, X), RTOL_FD, ATOL_FD);
  CHECK_TRUE("primal size", p.size() == 11);
  int walked = 0;
  for (auto &kv : dp) walked += kv.second == kv.second;
  CHECK_TRUE("shadow nodes linked", walked == 11);
#ifdef __OPTIMIZE__
  CHECK_TRUE("shadow size", dp.size() == 11);
  // every primal key is a shadow key
  int found = 0;
  for (auto &kv : p) found += dp.count(kv.first) == 1;
  CHECK_TRUE("shadow keys", found == 11);
  CHECK_TRUE("shadow bucket count", dp.bucket_count() == p.bucket_count());
#endif
}

int main() {
  for (int round = 0; round < 2; round++) {
    Params p = fresh(), dp = zeros();
    double x = X, dx = 0;
    __enzyme_autodiff((void *)f, enzyme_dup, &p, &dp, enzyme_dup, &x, &dx);
    check("reverse", p, dp, dx);
  }
  {
    Params p = fresh(), dp = zeros();
    double x = X, dx = 0;
    void *tape = __enzyme_augmentfwd((void *)f, enzyme_dup, &p, &dp, enzyme_dup, &x, &dx);
    __enzyme_reverse((void *)f, enzyme_dup, &p, &dp, enzyme_dup, &x, &dx, 1.0, tape);
    check("split", p, dp, dx);
  }
  return check_report();
}
