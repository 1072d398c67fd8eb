// CFLAGS: -std=c++17
// A small multilayer perceptron class as people write it: weights in
// std::vector<std::vector<double>> per layer, biases in std::vector<double>, a std::vector of
// layers, activations picked per layer by an enum, a softmax cross-entropy loss over a small
// batch. The network object is passed enzyme_dup with a shadow network of the same shape (zeroed
// weights) that receives the gradient; the inputs are enzyme_const. A few steps of gradient
// descent through the same derivative. Oracles: central differences with respect to every weight
// and bias (through the object), and forward mode with a shadow network holding one seeded
// weight against the reverse gradient.
#include "check.h"
#include <cmath>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

enum class Act { Tanh, Relu, Linear };
struct Layer {
  std::vector<std::vector<double>> w; // out x in
  std::vector<double> b;
  Act act;
  std::vector<double> forward(const std::vector<double> &in) const {
    std::vector<double> out(b);
    for (size_t o = 0; o < w.size(); o++) {
      for (size_t i = 0; i < in.size(); i++) out[o] += w[o][i] * in[i];
      switch (act) {
      case Act::Tanh: out[o] = std::tanh(out[o]); break;
      case Act::Relu: out[o] = out[o] > 0 ? out[o] : 0.01 * out[o]; break;
      case Act::Linear: break;
      }
    }
    return out;
  }
};
struct Net {
  std::vector<Layer> layers;
  double loss(const std::vector<std::vector<double>> &xs, const std::vector<int> &labels) const {
    double l = 0;
    for (size_t s = 0; s < xs.size(); s++) {
      std::vector<double> h = xs[s];
      for (const Layer &L : layers) h = L.forward(h);
      double m = h[0];
      for (double v : h) m = v > m ? v : m;
      double z = 0;
      for (double v : h) z += std::exp(v - m);
      l += std::log(z) + m - h[labels[s]];
    }
    return l / xs.size();
  }
};
struct Batch {
  std::vector<std::vector<double>> xs;
  std::vector<int> labels;
};
static double net_loss(const Net *net, const Batch *b) { return net->loss(b->xs, b->labels); }

static Net make(const int *sizes, int nl, double fill, bool random) {
  Net n;
  for (int l = 0; l < nl; l++) {
    Layer L;
    L.act = l == nl - 1 ? Act::Linear : (l % 2 ? Act::Relu : Act::Tanh);
    L.w.assign(sizes[l + 1], std::vector<double>(sizes[l], fill));
    L.b.assign(sizes[l + 1], fill);
    if (random)
      for (int o = 0; o < sizes[l + 1]; o++) {
        for (int i = 0; i < sizes[l]; i++) L.w[o][i] = 0.6 * std::sin(1.3 * o + 0.7 * i + l);
        L.b[o] = 0.1 * std::cos(o + 2.0 * l);
      }
    n.layers.push_back(L);
  }
  return n;
}

static Net *fd_net;
static const Batch *fd_batch;
static double *fd_slot;
static double fd_fn(double v) {
  double o = *fd_slot;
  *fd_slot = v;
  double r = net_loss(fd_net, fd_batch);
  *fd_slot = o;
  return r;
}

int main() {
  const int sizes[] = {3, 5, 4, 3};
  Net net = make(sizes, 3, 0, true);
  Batch b;
  for (int s = 0; s < 4; s++) {
    b.xs.push_back({0.5 * s - 0.7, std::sin(1.0 * s), 0.3 * s * s - 0.4});
    b.labels.push_back((s * 2) % 3);
  }
  for (int step = 0; step < 3; step++) {
    Net d = make(sizes, 3, 0, false);
    __enzyme_autodiff((void *)net_loss, enzyme_dup, &net, &d, enzyme_const, &b);
    fd_net = &net;
    fd_batch = &b;
    for (size_t l = 0; l < net.layers.size(); l++) {
      Layer &L = net.layers[l], &D = d.layers[l];
      for (size_t o = 0; o < L.w.size(); o++) {
        for (size_t i = 0; i < L.w[o].size(); i++) {
          fd_slot = &L.w[o][i];
          CHECK_CLOSE_AT("dW vs FD", step, D.w[o][i], fd1(fd_fn, L.w[o][i]), RTOL_FD, ATOL_FD);
        }
        fd_slot = &L.b[o];
        CHECK_CLOSE_AT("db vs FD", step, D.b[o], fd1(fd_fn, L.b[o]), RTOL_FD, ATOL_FD);
      }
    }
    // forward mode: tangent along one weight of each layer
    for (size_t l = 0; l < net.layers.size(); l++) {
      Net t = make(sizes, 3, 0, false);
      t.layers[l].w[1][2] = 1.0;
      t.layers[l].b[0] = -0.5;
      double fw = __enzyme_fwddiff((void *)net_loss, enzyme_dup, &net, &t, enzyme_const, &b);
      CHECK_CLOSE_AT("fwd vs rev", l, fw, d.layers[l].w[1][2] - 0.5 * d.layers[l].b[0], RTOL_D, ATOL_D);
    }
    for (size_t l = 0; l < net.layers.size(); l++)
      for (size_t o = 0; o < net.layers[l].w.size(); o++) {
        for (size_t i = 0; i < net.layers[l].w[o].size(); i++) net.layers[l].w[o][i] -= 0.3 * d.layers[l].w[o][i];
        net.layers[l].b[o] -= 0.3 * d.layers[l].b[o];
      }
  }
  return check_report();
}
