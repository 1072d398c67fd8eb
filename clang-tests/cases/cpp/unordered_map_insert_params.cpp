// CFLAGS: -std=c++17
// A std::unordered_map<std::string, double> of parameters that the differentiated function
// grows: it caches a derived parameter under a new key (`p["k_scaled"] = ...`),
// reads a missing key with operator[] (inserting a zero default) and fills a default when
// count() finds none. The map goes in enzyme_dup with a shadow map holding the same keys; the new nodes
// are allocated inside the function and linked into the caller's map (and their shadows into
// the shadow map). Reverse mode (by reference, and by value: the callee's copy), split mode
// (`__enzyme_augmentfwd`/`__enzyme_reverse`) and forward mode. ferment used to free the shadows
// of the new nodes at the end of the reverse sweep, leaving the caller's shadow map pointing at
// freed memory (a crash in the next lookup, -O0..-O3): the node is stored through a bucket
// pointer read from the map, not through the argument itself, and the one free of the node
// (std::unordered_map's scoped node) is on the path that only unwinds. (`emplace`, which frees
// the node it built when the key exists, is unordered_map_emplace_existing.cpp.) Oracles: the analytic
// gradient, central differences on fresh maps, forward vs reverse. (The new shadow nodes' keys
// are not the primal's: ferment does not copy integer bytes, a key's characters and length, into
// shadow memory, so the shadow map is walked, not searched, for them. A key longer than the
// short-string buffer is left out: its heap characters have no shadow block of their own, so the
// shadow node would own the primal's buffer and both maps would free it.)
#include "check.h"
#include <cmath>
#include <string>
#include <unordered_map>
extern "C" void *__enzyme_augmentfwd(void *, ...);
extern "C" void __enzyme_reverse(void *, ...);
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
using Params = std::unordered_map<std::string, double>;

static double spring_energy(Params &p, const double *xs, int n) {
  if (!p.count("k_scaled")) p["k_scaled"] = p["stiffness"] * p["scale"];
  if (!p.count("rest")) p["rest"] = 0.25;
  double damping = p["damping"]; // absent: inserted as 0
  double k = p["k_scaled"], r = p["rest"];
  double e = 0;
  for (int i = 0; i + 1 < n; i++) {
    double d = xs[i + 1] - xs[i] - r;
    e += 0.5 * k * d * d + damping * d;
  }
  return e + std::exp(-p["scale"]);
}
static double by_value(Params p, const double *xs, int n) { return spring_energy(p, xs, n); }

static const double xs[5] = {0.0, 0.4, 0.7, 1.3, 1.45};
static Params fresh() { return Params{{"stiffness", 3.0}, {"scale", 0.6}}; }
static Params zeros() { return Params{{"stiffness", 0.0}, {"scale", 0.0}}; }

// analytic: e = sum 0.5 k s (dx - 0.25)^2 + exp(-s), k = stiffness, s = scale
static void analytic(double *gk, double *gs) {
  double k = 3.0, s = 0.6, q = 0;
  for (int i = 0; i + 1 < 5; i++) q += 0.5 * (xs[i + 1] - xs[i] - 0.25) * (xs[i + 1] - xs[i] - 0.25);
  *gk = q * s;
  *gs = q * k - std::exp(-s);
}
static const char *fd_key;
static double fd_fn(double v) {
  Params p = fresh();
  p[fd_key] = v;
  return spring_energy(p, xs, 5);
}

static void check(const char *what, Params &p, Params &dp) {
  double gk, gs;
  analytic(&gk, &gs);
  CHECK_CLOSE(what, dp.at("stiffness"), gk, RTOL_D, ATOL_D);
  CHECK_CLOSE(what, dp.at("scale"), gs, RTOL_D, ATOL_D);
  const char *keys[] = {"stiffness", "scale"};
  for (const char *k : keys) {
    fd_key = k;
    CHECK_CLOSE(what, dp.at(k), fd1(fd_fn, fresh()[k]), RTOL_FD, ATOL_FD);
  }
  // the new entries are in both maps, and the shadow map still works
  CHECK_TRUE("primal map grew", p.count("k_scaled") && p.count("damping") && p.count("rest"));
  int nodes = 0;
  for (auto &kv : dp) nodes += kv.second == kv.second;
  CHECK_TRUE("shadow map grew", nodes == 5);
  dp["stiffness"] += 1.0;
  CHECK_CLOSE("shadow map usable", dp.at("stiffness"), gk + 1.0, RTOL_D, ATOL_D);
}

int main() {
  {
    Params p = fresh(), dp = zeros();
    __enzyme_autodiff((void *)spring_energy, enzyme_dup, &p, &dp, enzyme_const, xs, enzyme_const, 5);
    check("reverse", p, dp);
  }
  {
    Params p = fresh(), dp = zeros();
    __enzyme_autodiff((void *)by_value, enzyme_dup, &p, &dp, enzyme_const, xs, enzyme_const, 5);
    double gk, gs;
    analytic(&gk, &gs);
    CHECK_CLOSE("reverse, by value", dp.at("stiffness"), gk, RTOL_D, ATOL_D);
    CHECK_CLOSE("reverse, by value", dp.at("scale"), gs, RTOL_D, ATOL_D);
  }
  {
    Params p = fresh(), dp = zeros();
    void *tape = __enzyme_augmentfwd((void *)spring_energy, enzyme_dup, &p, &dp, enzyme_const, xs, enzyme_const, 5);
    __enzyme_reverse((void *)spring_energy, enzyme_dup, &p, &dp, enzyme_const, xs, enzyme_const, 5, 1.0, tape);
    check("split", p, dp);
  }
  {
    double gk, gs;
    analytic(&gk, &gs);
    Params p = fresh(), tp{{"stiffness", 1.0}, {"scale", -2.0}};
    double t = __enzyme_fwddiff((void *)spring_energy, enzyme_dup, &p, &tp, enzyme_const, xs, enzyme_const, 5);
    CHECK_CLOSE("forward vs analytic", t, gk - 2.0 * gs, RTOL_D, ATOL_D);
    int nodes = 0;
    for (auto &kv : tp) nodes += kv.second == kv.second;
    CHECK_TRUE("tangent map grew", nodes == 5);
  }
  return check_report();
}
