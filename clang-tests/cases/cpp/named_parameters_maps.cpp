// CFLAGS: -std=c++17
// Parameters looked up by name, as a model configured from a file would: inside the
// differentiated function the active parameter vector is copied into a
// std::map<std::string, double> (names from a constant table), a
// std::unordered_map<std::string, size_t> maps names to positions in the vector, and a
// std::map<std::string, std::vector<double>> holds per-species rate vectors built from active
// values; the model reads them with at(), operator[], find() and structured bindings over the
// map, and writes a derived parameter back into the map before reading it again. Reverse mode
// with respect to the parameters and the data, forward mode along each parameter. Oracles:
// central finite differences of the primal; forward against reverse.
#include "check.h"
#include <cmath>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static const char *const kNames[] = {"k_on", "k_off", "decay", "gain", "offset", "hill"};
static const int kNp = 6;

static double model(const double *p, const double *data, int m) {
  std::map<std::string, double> par;
  std::unordered_map<std::string, size_t> index;
  for (int i = 0; i < kNp; i++) {
    par[kNames[i]] = p[i];
    index.emplace(kNames[i], (size_t)i);
  }
  // A derived parameter written back into the map.
  par["k_eq"] = par.at("k_on") / par.at("k_off");
  std::map<std::string, std::vector<double>> rates;
  rates["A"] = {par["k_on"], par["decay"]};
  rates["B"] = {par["k_off"] * 0.5, par["decay"] * par["gain"], p[index.at("hill")]};
  double loss = 0;
  for (int i = 0; i < m; i++) {
    double t = 0.25 * i;
    double a = par["gain"] * std::exp(-par.at("decay") * t) + par.find("offset")->second;
    double h = par.at("hill");
    double sat = std::pow(a, h) / (1.0 + par["k_eq"] * std::pow(a, h));
    double r = sat - data[i];
    loss += r * r;
  }
  for (const auto &[name, v] : rates) {
    double s = 0;
    for (double x : v)
      s += x * x;
    loss += (name == "A" ? 0.1 : 0.2) * s;
  }
  auto it = par.find("missing");
  if (it != par.end())
    loss += it->second;
  return loss;
}

struct Ctx {
  const double *data;
  int m;
};
static double model_at(const double *p, const void *c) {
  const Ctx *x = (const Ctx *)c;
  return model(p, x->data, x->m);
}

int main() {
  const int m = 7;
  double p[kNp] = {0.8, 1.3, 0.45, 1.7, 0.2, 1.6};
  double data[m];
  for (int i = 0; i < m; i++)
    data[i] = 0.5 + 0.1 * std::sin(0.9 * i);
  double dp[kNp] = {0}, ddata[m] = {0};
  __enzyme_autodiff((void *)model, enzyme_dup, p, dp, enzyme_dup, data, ddata, enzyme_const, m);
  Ctx c{data, m};
  CHECK_GRAD_FD("reverse d/dp", model_at, &c, p, kNp, dp, RTOL_FD, ATOL_FD);
  CHECK_ARRAY_FD("reverse d/ddata", data, m, ddata, 1e-6, model(p, data, m), RTOL_FD, ATOL_FD);
  for (int k = 0; k < kNp; k++) {
    double t[kNp] = {0}, td[m] = {0};
    t[k] = 1;
    td[k % m] = -0.5;
    double fw = __enzyme_fwddiff((void *)model, enzyme_dup, p, t, enzyme_dup, data, td,
                                 enzyme_const, m);
    CHECK_CLOSE("forward vs reverse", fw, dp[k] - 0.5 * ddata[k % m], RTOL_D, ATOL_D);
  }
  return check_report();
}
