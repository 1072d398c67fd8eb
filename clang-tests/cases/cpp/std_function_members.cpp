// CFLAGS: -std=c++17
// std::function members chosen at run time (a capturing lambda, a free function, a functor with
// state) in a std::vector of layers, called inside the differentiated function; the layers'
// weights active through a shadow network built by hand (the same functions, zero weights).
// The std::function's invoker is a call through a pointer loaded from the object, which
// ferment dispatches over the module's candidates (not the finite-difference helpers, whose
// address only reaches the checker). Reverse, forward and split mode.
// Oracles: central finite differences, forward vs reverse.
#include "check.h"
#include <cmath>
#include <functional>
#include <vector>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern "C" void *__enzyme_augmentfwd(void *, ...);
extern "C" void __enzyme_reverse(void *, ...);

static double softplus(double x) { return std::log1p(std::exp(x)); }
struct Shifted {
  double c;
  double operator()(double x) const { return std::tanh(x - c); }
};

struct Layer {
  std::function<double(double)> act;
  double w;
};

__attribute__((noinline)) std::function<double(double)> pick(int k, double p) {
  switch (k % 3) {
  case 0:
    return [p](double x) { return p * x * x; };
  case 1:
    return softplus;
  default:
    return Shifted{p};
  }
}

__attribute__((noinline)) double net(const std::vector<Layer> *layers, double x) {
  for (const Layer &l : *layers)
    x = l.act(l.w * x) + 0.1 * x;
  return x;
}

static std::vector<Layer> layers_g;
static double x_g = 0.7;
// f(w) at x_g, the layers' weights taken from w[0..n)
static double net_w(const double *w, const void *) {
  std::vector<Layer> l = layers_g;
  for (size_t i = 0; i < l.size(); i++)
    l[i].w = w[i];
  return net(&l, x_g);
}

int main(int argc, char **argv) {
  (void)argv;
  const int n = 4;
  double p[n] = {0.9, -0.4, 0.3, 0.6}, w[n] = {1.1, 0.8, -1.2, 0.5};
  for (int i = 0; i < n; i++)
    layers_g.push_back(Layer{pick(i + argc - 1, p[i]), w[i]});
  // The shadow network, built by hand the Enzyme way: the same functions (captured parameters
  // zero: no derivative flows into them here), weights zero.
  // The reverse sweep adds the captured parameters' adjoints into the shadow's copies: each
  // call gets a fresh shadow.
  auto fresh = [&](std::vector<Layer> &shadow) {
    shadow.clear();
    for (int i = 0; i < n; i++)
      shadow.push_back(Layer{pick(i + argc - 1, 0.0), 0.0});
  };
  std::vector<Layer> shadow;
  fresh(shadow);
  double dx = __enzyme_autodiff((void *)net, enzyme_dup, &layers_g, &shadow, x_g);
  double dw[n];
  for (int i = 0; i < n; i++)
    dw[i] = shadow[i].w;
  CHECK_GRAD_FD("reverse d/dw into the shadow network", net_w, nullptr, w, n, dw, RTOL_FD, ATOL_FD);
  {
    double h = fd_step(x_g);
    double want = (net(&layers_g, x_g + h) - net(&layers_g, x_g - h)) / (2 * h);
    CHECK_CLOSE("reverse d/dx", dx, want, RTOL_FD, ATOL_FD);
  }
  for (int i = 0; i < n; i++) {
    fresh(shadow);
    shadow[i].w = 1;
    double f = __enzyme_fwddiff((void *)net, enzyme_dup, &layers_g, &shadow, x_g, 0.0);
    CHECK_CLOSE("forward d/dw vs reverse", f, dw[i], RTOL_D, ATOL_D);
  }
  fresh(shadow);
  void *tape = __enzyme_augmentfwd((void *)net, enzyme_dup, &layers_g, &shadow, x_g);
  __enzyme_reverse((void *)net, enzyme_dup, &layers_g, &shadow, x_g, 1.0, tape);
  for (int i = 0; i < n; i++)
    CHECK_CLOSE("split d/dw vs reverse", shadow[i].w, dw[i], RTOL_D, ATOL_D);

  // A constant network, d/dx.
  for (double x : {-0.5, 0.4, 1.3}) {
    double d = __enzyme_fwddiff((void *)net, enzyme_const, &layers_g, x, 1.0);
    double h = fd_step(x);
    double want = (net(&layers_g, x + h) - net(&layers_g, x - h)) / (2 * h);
    CHECK_CLOSE_AT("forward d/dx, constant network", x, d, want, RTOL_FD, ATOL_FD);
    double r = __enzyme_autodiff((void *)net, enzyme_const, &layers_g, x);
    CHECK_CLOSE_AT("reverse d/dx, constant network", x, r, want, RTOL_FD, ATOL_FD);
  }
  return check_report();
}
