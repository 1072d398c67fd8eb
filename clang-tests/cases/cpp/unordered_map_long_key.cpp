// CFLAGS: -std=c++17
// Keys longer than a short string's 15 characters, inserted inside the differentiated function
// into an enzyme_dup std::unordered_map<std::string, double>: the key's characters live in a
// heap block from libstdc++'s std::string::_M_create (a call into the shared library). ferment
// gave that block no shadow, so the shadow map's new node held the primal's characters and both
// maps freed them (double free at -O1..-O3, combined and split mode). Now the block's shadow is
// a block of its own, freed where the primal one is (a temporary key the map already holds) or
// left to the shadow map (a new node). Also: a long key already in the caller's map (the
// temporary's block is freed inside the function), a long key read back by operator[], a
// key built by concatenation (std::string::_M_append), and forward mode. Oracles: the analytic gradient, central
// differences on fresh maps; the shadow map's new nodes found by their long keys afterwards.
#include "check.h"
#include <cmath>
#include <string>
#include <unordered_map>
extern "C" void *__enzyme_augmentfwd(void *, ...);
extern "C" void __enzyme_reverse(void *, ...);
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
using Params = std::unordered_map<std::string, double>;

static const char *LONG_NEW = "a_parameter_with_a_long_name";
static const char *LONG_OLD = "an_existing_parameter_with_a_long_name";

static double f(Params &p, const double *x) {
  p[LONG_NEW] = *x * 3.0;                          // new node, long key
  p[LONG_OLD] += 0.5;                              // present: the temporary key is freed
  std::string built = std::string("composed_") + "key_longer_than_sso";
  p[built] = p[LONG_OLD] * *x;                     // new node, key from concatenation
  return p[LONG_NEW] * p["a"] + std::sin(p[built]) + p[LONG_OLD] * p[LONG_OLD];
}

static Params fresh() { return Params{{"a", 3.0}, {LONG_OLD, 1.25}}; }
static Params zeros() { return Params{{"a", 0.0}, {LONG_OLD, 0.0}}; }
static const double X = 0.5;

// f = 3 x a + sin((o + 0.5) x) + (o + 0.5)^2
static void analytic(double *da, double *dox, double *dx) {
  double a = 3.0, o = 1.25 + 0.5, x = X;
  *da = 3.0 * x;
  *dox = x * std::cos(o * x) + 2.0 * o;
  *dx = 3.0 * a + o * std::cos(o * x);
}
static const char *fd_key;
static double fd_param(double v) {
  Params p = fresh();
  p[fd_key] = v;
  double x = X;
  return f(p, &x);
}
static double fd_x(double x) {
  Params p = fresh();
  return f(p, &x);
}

static void check(const char *what, Params &p, Params &dp, double dx) {
  double da, dox, dxx;
  analytic(&da, &dox, &dxx);
  CHECK_CLOSE(what, dp.at("a"), da, RTOL_D, ATOL_D);
  CHECK_CLOSE(what, dp.at(LONG_OLD), dox, RTOL_D, ATOL_D);
  CHECK_CLOSE(what, dx, dxx, RTOL_D, ATOL_D);
  const char *keys[] = {"a", LONG_OLD};
  for (const char *k : keys) {
    fd_key = k;
    CHECK_CLOSE(what, dp.at(k), fd1(fd_param, fresh()[k]), RTOL_FD, ATOL_FD);
  }
  CHECK_CLOSE(what, dx, fd1(fd_x, X), RTOL_FD, ATOL_FD);
  CHECK_TRUE("primal map", p.size() == 4 && p.at(LONG_NEW) == 3.0 * X);
  int nodes = 0;
  for (auto &kv : dp) nodes += kv.second == kv.second;
  CHECK_TRUE("shadow map nodes", nodes == 4);
#ifdef __OPTIMIZE__
  // the new shadow nodes hold the primal's keys (at -O0 libstdc++'s string constructors are
  // out-of-line calls that only the primal key sees: the shadow keys stay empty there, and
  // the element count is repeated only where type analysis types it as an integer)
  CHECK_TRUE("shadow map size", dp.size() == 4);
  CHECK_TRUE("shadow long key", dp.count(LONG_NEW) == 1);
  CHECK_TRUE("shadow built key", dp.count("composed_key_longer_than_sso") == 1);
  dp[LONG_NEW] += 1.0;
  CHECK_TRUE("shadow map usable", dp.size() == 4);
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
  {
    // forward mode: the tangent map grows the same nodes
    Params p = fresh(), tp = zeros();
    tp.at(LONG_OLD) = 1.0;
    double x = X, tx = 0;
    double d = __enzyme_fwddiff((void *)f, enzyme_dup, &p, &tp, enzyme_dup, &x, &tx);
    double da, dox, dxx;
    analytic(&da, &dox, &dxx);
    CHECK_CLOSE("forward", d, dox, RTOL_D, ATOL_D);
    int nodes = 0;
    for (auto &kv : tp) nodes += kv.second == kv.second;
    CHECK_TRUE("tangent map nodes", nodes == 4);
  }
  return check_report();
}
