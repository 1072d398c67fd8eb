// CFLAGS: -std=c++17
// A small network written as C++ users write it: layers in a class hierarchy applied through
// base pointers (virtual calls), built from a std::string spec (std::allocator<char>'s members are
// external at -O0 and must be known inactive), a member lambda passed to std::transform, a
// std::function reducer for std::accumulate, std::max_element, std::vector::swap.
// Oracles: central finite differences (reverse), forward vs reverse.
#include "check.h"
#include <string>
#include <vector>
#include <functional>
#include <numeric>
#include <algorithm>
#include <cmath>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Layer {
  virtual ~Layer() = default;
  virtual void apply(std::vector<double> &h) const = 0;
};
struct Scale : Layer {
  double s;
  explicit Scale(double s) : s(s) {}
  void apply(std::vector<double> &h) const override { std::transform(h.begin(), h.end(), h.begin(), [this](double v) { return s * v; }); }
};
struct Tanh : Layer {
  void apply(std::vector<double> &h) const override { for (auto &v : h) v = std::tanh(v); }
};
struct Mix : Layer {
  void apply(std::vector<double> &h) const override {
    std::vector<double> out(h.size());
    for (size_t i = 0; i < h.size(); i++) out[i] = h[i] + 0.5 * h[(i + 1) % h.size()];
    h.swap(out);
  }
};

static double net(const double *w, int n) {
  std::string spec = "smts"; // a std::string built here: std::allocator<char> is external at -O0
  std::vector<double> h(w + 2, w + n);
  std::vector<Layer *> layers;
  int scales = 0;
  for (char c : spec) {
    if (c == 's') layers.push_back(new Scale(w[scales++]));
    else if (c == 'm') layers.push_back(new Mix());
    else layers.push_back(new Tanh());
  }
  for (Layer *l : layers) l->apply(h);
  for (Layer *l : layers) delete l;
  std::function<double(double, double)> acc = [](double a, double b) { return a + b * b; };
  double r = std::accumulate(h.begin(), h.end(), 0.0, acc);
  auto mx = std::max_element(h.begin(), h.end());
  return r + *mx;
}

static double net_fd(const double *x, const void *ctx) { return net(x, *(const int *)ctx); }

int main() {
  const int n = 7;
  double x[n], dx[n] = {0};
  for (int i = 0; i < n; i++) x[i] = 0.4 + 0.6 * std::sin(1.7 * i + 0.2);
  __enzyme_autodiff((void *)net, enzyme_dup, x, dx, enzyme_const, n);
  CHECK_GRAD_FD("d net / dx", net_fd, &n, x, n, dx, 1e-6, 1e-7);
  double v[n], dv = 0;
  for (int i = 0; i < n; i++) v[i] = 0.1 * (i + 1) - 0.3;
  double jv = __enzyme_fwddiff((void *)net, enzyme_dup, x, v, enzyme_const, n);
  for (int i = 0; i < n; i++) dv += dx[i] * v[i];
  CHECK_CLOSE("fwd vs rev", jv, dv, 1e-9, 1e-12);
  return check_report();
}
