// CFLAGS: -std=c++17
// A network class passed whole as the duplicated argument through a static member trampoline
// (`Net::tramp(const Net *, ...)`), as Enzyme users differentiate a member function: a
// std::vector<Layer> whose Layers hold std::vector<double> weights and biases, and a
// std::map<std::string, double> of hyperparameters read with at(). The shadow is a copy of the
// object with every double zeroed (map values included), so its vectors and map nodes have the
// primal's shape. Layers write into std::vector scratch buffers swapped between layers. Reverse
// mode with respect to the object and the input; forward mode along a weight, a map value and an
// input. Oracles: central finite differences of the primal; forward against reverse.
#include "check.h"
#include <cmath>
#include <map>
#include <string>
#include <vector>
#include <memory>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Layer {
  std::vector<double> w, b;
  int in, out;
  Layer(int in, int out) : w(in * out), b(out), in(in), out(out) {}
  void apply(const std::vector<double> &x, std::vector<double> &y) const {
    y.assign(out, 0.0);
    for (int o = 0; o < out; o++) {
      double s = b[o];
      for (int i = 0; i < in; i++)
        s += w[o * in + i] * x[i];
      y[o] = std::tanh(s);
    }
  }
};

class Net {
public:
  std::vector<Layer> layers;
  std::map<std::string, double> hyper;
  Net() {
    layers.emplace_back(3, 4);
    layers.emplace_back(4, 2);
    hyper["l2"] = 0.01;
    hyper["scale"] = 1.5;
  }
  double loss(const double *xin, const double *target) const {
    std::vector<double> a(xin, xin + 3), b;
    for (const auto &L : layers) {
      L.apply(a, b);
      std::swap(a, b);
    }
    double e = 0;
    for (int i = 0; i < 2; i++) {
      double r = hyper.at("scale") * a[i] - target[i];
      e += r * r;
    }
    double reg = 0;
    for (const auto &L : layers)
      for (double w : L.w)
        reg += w * w;
    return e + hyper.at("l2") * reg;
  }
  static double tramp(const Net *n, const double *x, const double *t) { return n->loss(x, t); }
};

static void zero(Net &d) {
  for (auto &L : d.layers) {
    std::fill(L.w.begin(), L.w.end(), 0.0);
    std::fill(L.b.begin(), L.b.end(), 0.0);
  }
  for (auto &kv : d.hyper)
    kv.second = 0.0;
}

int main() {
  Net net;
  int k = 0;
  for (auto &L : net.layers) {
    for (auto &w : L.w) w = 0.3 * std::sin(0.7 * k++ + 0.1);
    for (auto &b : L.b) b = 0.1 * std::cos(1.3 * k++);
  }
  double x[3] = {0.5, -0.3, 0.8}, t[2] = {0.2, -0.1}, dx[3] = {0};
  Net dnet = net;
  zero(dnet);
  __enzyme_autodiff((void *)Net::tramp, enzyme_dup, &net, &dnet, enzyme_dup, x, dx, enzyme_const, t);
  for (size_t l = 0; l < net.layers.size(); l++) {
    auto &L = net.layers[l];
    CHECK_ARRAY_FD("dw", L.w.data(), L.w.size(), dnet.layers[l].w.data(), 1e-6, net.loss(x, t), RTOL_FD, ATOL_FD);
    CHECK_ARRAY_FD("db", L.b.data(), L.b.size(), dnet.layers[l].b.data(), 1e-6, net.loss(x, t), RTOL_FD, ATOL_FD);
  }
  CHECK_CLOSE("dscale", dnet.hyper["scale"], FD_AT(net.hyper["scale"], 1e-6, net.loss(x, t)), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("dl2", dnet.hyper["l2"], FD_AT(net.hyper["l2"], 1e-6, net.loss(x, t)), RTOL_FD, ATOL_FD);
  CHECK_ARRAY_FD("dx", x, 3, dx, 1e-6, net.loss(x, t), RTOL_FD, ATOL_FD);
  // forward along the first layer's weights
  Net tn = net;
  zero(tn);
  tn.layers[0].w[2] = 1.0;
  tn.hyper["scale"] = 0.5;
  double tx[3] = {0, 0.25, 0};
  double fw = __enzyme_fwddiff((void *)Net::tramp, enzyme_dup, &net, &tn, enzyme_dup, x, tx, enzyme_const, t);
  CHECK_CLOSE("fwd", fw, dnet.layers[0].w[2] + 0.5 * dnet.hyper["scale"] + 0.25 * dx[1], RTOL_D, ATOL_D);
  return check_report();
}
