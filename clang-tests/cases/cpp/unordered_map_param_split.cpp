// CFLAGS: -std=c++17
// Split mode (`__enzyme_augmentfwd` then `__enzyme_reverse`) of a loss whose parameters come in a
// std::unordered_map<std::string, double> passed by reference, with a shadow map of the same keys
// (the derivatives land in the shadow's values). Keys both short (in the string's own buffer) and
// longer than the short-string buffer (on the heap); the loss looks them up with at() and find()
// and iterates over the map. The tape is returned by the augmented call and released by the
// reverse call, for several data sets between the two sweeps' calls. Also the combined
// `__enzyme_autodiff` of the same function. Oracles: the analytic gradient and central
// differences of the loss with respect to each map value.
#include "check.h"
#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>
extern "C" void *__enzyme_augmentfwd(void *, ...);
extern "C" void __enzyme_reverse(void *, ...);
extern "C" void __enzyme_autodiff(void *, ...);

using Params = std::unordered_map<std::string, double>;
struct Data {
  std::vector<double> t, y;
};

static double loss(const Params &p, const Data &d) {
  double a = p.at("amplitude_of_the_signal"), k = p.at("k");
  auto it = p.find("offset");
  double c = it == p.end() ? 0.0 : it->second;
  double l = 0;
  for (size_t i = 0; i < d.t.size(); i++) {
    double r = a * std::exp(-k * d.t[i]) + c - d.y[i];
    l += r * r;
  }
  double reg = 0;
  for (const auto &kv : p) reg += kv.second * kv.second * 1e-2;
  return 0.5 * l + reg;
}

static void analytic(const Params &p, const Data &d, Params &g) {
  double a = p.at("amplitude_of_the_signal"), k = p.at("k"), c = p.at("offset");
  double ga = 0, gk = 0, gc = 0;
  for (size_t i = 0; i < d.t.size(); i++) {
    double e = std::exp(-k * d.t[i]);
    double r = a * e + c - d.y[i];
    ga += r * e;
    gk += r * a * -d.t[i] * e;
    gc += r;
  }
  g["amplitude_of_the_signal"] = ga + 2e-2 * a;
  g["k"] = gk + 2e-2 * k;
  g["offset"] = gc + 2e-2 * c;
}

static Params *fd_p;
static const Data *fd_d;
static const char *fd_key;
static double fd_fn(double v) {
  double o = (*fd_p)[fd_key];
  (*fd_p)[fd_key] = v;
  double r = loss(*fd_p, *fd_d);
  (*fd_p)[fd_key] = o;
  return r;
}

int main() {
  Params p{{"amplitude_of_the_signal", 1.4}, {"k", 0.6}, {"offset", 0.1}};
  const char *keys[] = {"amplitude_of_the_signal", "k", "offset"};
  for (int set = 0; set < 3; set++) {
    Data d;
    for (int i = 0; i < 6 + set; i++) {
      d.t.push_back(0.3 * i);
      d.y.push_back(1.2 * std::exp(-0.5 * 0.3 * i) + 0.05 * set + 0.01 * (i % 3));
    }
    Params dp{{"amplitude_of_the_signal", 0.0}, {"k", 0.0}, {"offset", 0.0}};
    void *tape = __enzyme_augmentfwd((void *)loss, enzyme_dup, &p, &dp, enzyme_const, &d);
    __enzyme_reverse((void *)loss, enzyme_dup, &p, &dp, enzyme_const, &d, 1.0, tape);
    Params g;
    analytic(p, d, g);
    fd_p = &p;
    fd_d = &d;
    for (const char *k : keys) {
      fd_key = k;
      CHECK_CLOSE_AT("split gradient", set, dp[k], g[k], RTOL_D, ATOL_D);
      CHECK_CLOSE_AT("split gradient vs FD", set, dp[k], fd1(fd_fn, p[k]), RTOL_FD, ATOL_FD);
    }
    Params dq{{"amplitude_of_the_signal", 0.0}, {"k", 0.0}, {"offset", 0.0}};
    __enzyme_autodiff((void *)loss, enzyme_dup, &p, &dq, enzyme_const, &d);
    for (const char *k : keys) CHECK_CLOSE_AT("combined gradient", set, dq[k], g[k], RTOL_D, ATOL_D);
    for (const char *k : keys) p[k] -= 0.1 * dp[k];
  }
  return check_report();
}
