// CFLAGS: -std=c++17
// The caller's containers as Enzyme users pass them (issue 14, section 4): a
// std::map<std::string, double> of named parameters and a std::vector of structs, both
// enzyme_dup with shadow containers of the same shape built by the caller; a const
// std::vector<std::array<double, 2>> of data points read by range-for (enzyme_const); a
// model class whose member function is differentiated through a wrapper. The gradient lands
// in the shadow containers. Oracles: central finite differences of each parameter; forward
// mode (tangent containers) against reverse.
#include "check.h"
#include <array>
#include <cmath>
#include <map>
#include <string>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern "C" int enzyme_dup, enzyme_const;

using Params = std::map<std::string, double>;
using Points = std::vector<std::array<double, 2>>;

struct Layer {
  double w, b;
  int kind;
};

static double loss(const Params &p, const std::vector<Layer> &layers, const Points &data) {
  double a = p.at("amplitude"), f = p.at("frequency_of_the_signal"), d = p.at("decay");
  double s = 0;
  for (const auto &pt : data) {
    double y = a * std::sin(f * pt[0]) * std::exp(-d * pt[0]);
    for (const Layer &l : layers) y = l.kind ? std::tanh(l.w * y + l.b) : l.w * y + l.b;
    double e = y - pt[1];
    s += e * e;
  }
  return s / data.size();
}

struct Model {
  Params p;
  std::vector<Layer> layers;
  double eval(const Points &data) const { return loss(p, layers, data); }
};

static double model_loss(const Model *m, const Points *data) { return m->eval(*data); }

static Params make_params(double a, double f, double d) {
  return {{"amplitude", a}, {"frequency_of_the_signal", f}, {"decay", d}};
}

int main() {
  Points data;
  for (int i = 0; i < 12; i++) data.push_back({0.25 * i, std::cos(0.3 * i)});
  const double p0[3] = {1.1, 0.8, 0.3};
  const double l0[3][2] = {{0.9, 0.1}, {1.3, -0.2}, {0.7, 0.05}};
  Model m{make_params(p0[0], p0[1], p0[2]), {}}, dm{make_params(0, 0, 0), {}};
  for (int i = 0; i < 3; i++) {
    m.layers.push_back({l0[i][0], l0[i][1], i % 2});
    dm.layers.push_back({0, 0, i % 2});
  }
  __enzyme_autodiff((void *)model_loss, enzyme_dup, &m, &dm, enzyme_const, &data);

  const char *names[3] = {"amplitude", "frequency_of_the_signal", "decay"};
  const double h = 1e-6;
  for (int k = 0; k < 3; k++) {
    Model mp = m, mm = m;
    mp.p[names[k]] += h;
    mm.p[names[k]] -= h;
    double fd = (model_loss(&mp, &data) - model_loss(&mm, &data)) / (2 * h);
    CHECK_CLOSE(names[k], dm.p[names[k]], fd, RTOL_FD, ATOL_FD);
  }
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 2; j++) {
      Model mp = m, mm = m;
      (j ? mp.layers[i].b : mp.layers[i].w) += h;
      (j ? mm.layers[i].b : mm.layers[i].w) -= h;
      double fd = (model_loss(&mp, &data) - model_loss(&mm, &data)) / (2 * h);
      CHECK_CLOSE("layer", j ? dm.layers[i].b : dm.layers[i].w, fd, RTOL_FD, ATOL_FD);
    }
  // forward mode along a direction in every parameter
  Model tm{make_params(0.3, -0.2, 0.5), {}};
  for (int i = 0; i < 3; i++) tm.layers.push_back({0.1 * (i + 1), -0.2 * i, i % 2});
  double tan = __enzyme_fwddiff((void *)model_loss, enzyme_dup, &m, &tm, enzyme_const, &data);
  double want = 0;
  for (int k = 0; k < 3; k++) want += dm.p[names[k]] * tm.p[names[k]];
  for (int i = 0; i < 3; i++) want += dm.layers[i].w * tm.layers[i].w + dm.layers[i].b * tm.layers[i].b;
  CHECK_CLOSE("forward vs reverse", tan, want, RTOL_D, ATOL_D);
  return check_report();
}
