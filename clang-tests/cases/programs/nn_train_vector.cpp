// A small neural-network training step in C++ as ML users write it before reaching for a
// framework: a `Dense` layer class holding std::vector<double> weights and biases, an `Mlp`
// holding std::vector<Dense>, activations chosen by an enum in a switch (tanh, relu, gelu via
// erf), a numerically stable log-softmax cross-entropy over a minibatch of std::vector samples,
// L2 weight decay, and a loss method called through a free function. Enzyme gets the model and
// a shadow model (same shapes, zeroed) with enzyme_dup; the gradient drives SGD steps, and the
// loss must go down.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences on
// every parameter, forward vs reverse.
#include "check.h"
#include <cmath>
#include <vector>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

enum class Act { Tanh, Relu, Gelu, None };

struct Dense {
  int in, out;
  Act act;
  std::vector<double> W, b;
  Dense(int i, int o, Act a) : in(i), out(o), act(a), W(i * o, 0.0), b(o, 0.0) {}
  static double activate(Act a, double z) {
    switch (a) {
    case Act::Tanh: return std::tanh(z);
    case Act::Relu: return z > 0 ? z : 0.0;
    case Act::Gelu: return 0.5 * z * (1.0 + std::erf(z / std::sqrt(2.0)));
    default: return z;
    }
  }
  void forward(const std::vector<double> &x, std::vector<double> &y) const {
    y.assign(out, 0.0);
    for (int o = 0; o < out; o++) {
      double s = b[o];
      for (int i = 0; i < in; i++) s += W[o * in + i] * x[i];
      y[o] = activate(act, s);
    }
  }
};

struct Sample {
  std::vector<double> x;
  int label;
};

struct Mlp {
  std::vector<Dense> layers;
  double decay;
  double sample_loss(const Sample &s) const {
    std::vector<double> h = s.x, next;
    for (const Dense &L : layers) {
      L.forward(h, next);
      h.swap(next);
    }
    double mx = h[0];
    for (double z : h) mx = std::fmax(mx, z);
    double se = 0.0;
    for (double z : h) se += std::exp(z - mx);
    return -(h[s.label] - mx - std::log(se));
  }
  double loss(const std::vector<Sample> &batch) const {
    double L = 0.0;
    for (const Sample &s : batch) L += sample_loss(s);
    L /= batch.size();
    double r = 0.0;
    for (const Dense &l : layers)
      for (double w : l.W) r += w * w;
    return L + 0.5 * decay * r;
  }
};

static double mlp_loss(const Mlp *m, const std::vector<Sample> *batch) { return m->loss(*batch); }

static Mlp make_model(unsigned seed, bool zero) {
  Mlp m;
  m.decay = 1e-3;
  m.layers.emplace_back(4, 8, Act::Tanh);
  m.layers.emplace_back(8, 6, Act::Gelu);
  m.layers.emplace_back(6, 3, Act::None);
  unsigned st = seed;
  for (Dense &L : m.layers) {
    for (double &w : L.W) w = zero ? 0.0 : 0.6 * prand(&st);
    for (double &b : L.b) b = zero ? 0.0 : 0.1 * prand(&st);
  }
  return m;
}

int main() {
  Mlp model = make_model(42, false);
  std::vector<Sample> batch;
  unsigned st = 9;
  for (int i = 0; i < 10; i++) {
    Sample s;
    for (int j = 0; j < 4; j++) s.x.push_back(prand(&st));
    s.label = (s.x[0] + s.x[1] > 0) + (s.x[2] > 0.3);
    batch.push_back(s);
  }
  Mlp grad = make_model(0, true);
  __enzyme_autodiff((void *)mlp_loss, enzyme_dup, &model, &grad, enzyme_const, &batch);
  for (size_t l = 0; l < model.layers.size(); l++) {
    Dense &L = model.layers[l];
    Dense &G = grad.layers[l];
    CHECK_ARRAY_FD("dW", L.W, (int)L.W.size(), G.W, 1e-6, mlp_loss(&model, &batch), RTOL_FD, 1e-9);
    CHECK_ARRAY_FD("db", L.b, (int)L.b.size(), G.b, 1e-6, mlp_loss(&model, &batch), RTOL_FD, 1e-9);
  }
  // forward mode along the gradient direction: the directional derivative is |g|^2
  Mlp tan = make_model(0, true);
  tan.decay = 0.0; // decay is a double member too: its tangent must be zero here
  double g2 = 0.0;
  for (size_t l = 0; l < model.layers.size(); l++) {
    tan.layers[l].W = grad.layers[l].W;
    tan.layers[l].b = grad.layers[l].b;
    for (double w : grad.layers[l].W) g2 += w * w;
    for (double b : grad.layers[l].b) g2 += b * b;
  }
  double t = __enzyme_fwddiff((void *)mlp_loss, enzyme_dup, &model, &tan, enzyme_const, &batch);
  CHECK_CLOSE("forward along the gradient = |g|^2", t, g2, 1e-9, 1e-12);

  // a few SGD steps with fresh gradients
  double before = mlp_loss(&model, &batch);
  for (int step = 0; step < 5; step++) {
    Mlp g = make_model(0, true);
    __enzyme_autodiff((void *)mlp_loss, enzyme_dup, &model, &g, enzyme_const, &batch);
    for (size_t l = 0; l < model.layers.size(); l++) {
      for (size_t i = 0; i < g.layers[l].W.size(); i++) model.layers[l].W[i] -= 0.3 * g.layers[l].W[i];
      for (size_t i = 0; i < g.layers[l].b.size(); i++) model.layers[l].b[i] -= 0.3 * g.layers[l].b[i];
    }
  }
  CHECK_TRUE("SGD lowers the loss", mlp_loss(&model, &batch) < before);
  return check_report();
}
