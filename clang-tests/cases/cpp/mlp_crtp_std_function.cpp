// CFLAGS: -std=c++17
// A two-layer network written as C++ users write one: CRTP expression templates over a vector
// class (Add/Mul nodes holding references, evaluated in a converting constructor), layers with
// std::vector<std::vector<double>> weights and a std::function activation moved in from a
// captureless lambda, owned by std::unique_ptr, a size check that throws std::invalid_argument
// caught inside the differentiated function. At -O1..-O3 the std::function move copies 16
// bytes of a stack temporary that are only cleared (a captureless lambda stores nothing):
// "cannot tell which floating-point type ... copies" on the old main (reverse mode); such
// copies now store zeros (`undefined_reads.rs`). Oracles: central finite differences
// (reverse), forward vs reverse.
#include "check.h"
#include <cmath>
#include <memory>
#include <stdexcept>
#include <functional>
#include <vector>
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

// CRTP expression templates over a small vector type
template <class E> struct Expr {
  double operator[](size_t i) const { return static_cast<const E &>(*this)[i]; }
  size_t size() const { return static_cast<const E &>(*this).size(); }
};
struct Vec : Expr<Vec> {
  std::vector<double> d;
  explicit Vec(size_t n) : d(n) {}
  template <class E> Vec(const Expr<E> &e) : d(e.size()) {
    for (size_t i = 0; i < d.size(); i++) d[i] = e[i];
  }
  double operator[](size_t i) const { return d[i]; }
  double &operator[](size_t i) { return d[i]; }
  size_t size() const { return d.size(); }
};
template <class A, class B> struct Add : Expr<Add<A, B>> {
  const A &a; const B &b;
  Add(const A &a, const B &b) : a(a), b(b) {}
  double operator[](size_t i) const { return a[i] + b[i]; }
  size_t size() const { return a.size(); }
};
template <class A, class B> struct Mul : Expr<Mul<A, B>> {
  const A &a; const B &b;
  Mul(const A &a, const B &b) : a(a), b(b) {}
  double operator[](size_t i) const { return a[i] * b[i]; }
  size_t size() const { return a.size(); }
};
template <class A, class B> Add<A, B> operator+(const Expr<A> &a, const Expr<B> &b) {
  return Add<A, B>(static_cast<const A &>(a), static_cast<const B &>(b));
}
template <class A, class B> Mul<A, B> operator*(const Expr<A> &a, const Expr<B> &b) {
  return Mul<A, B>(static_cast<const A &>(a), static_cast<const B &>(b));
}

struct Layer {
  std::vector<std::vector<double>> W;
  std::vector<double> b;
  std::function<double(double)> act;
  Layer(const double *w, int in, int out, std::function<double(double)> f) : W(out, std::vector<double>(in)), b(out), act(std::move(f)) {
    for (int o = 0; o < out; o++) {
      for (int i = 0; i < in; i++) W[o][i] = w[o * in + i];
      b[o] = w[out * in + o];
    }
  }
  Vec forward(const Vec &x) const {
    if (x.size() != W[0].size()) throw std::invalid_argument("size");
    Vec y(W.size());
    for (size_t o = 0; o < W.size(); o++) {
      double s = b[o];
      for (size_t i = 0; i < x.size(); i++) s += W[o][i] * x[i];
      y[o] = act(s);
    }
    return y;
  }
};
struct Net {
  std::vector<std::unique_ptr<Layer>> layers;
  Vec operator()(Vec x) const {
    for (auto &l : layers) x = l->forward(x);
    return x;
  }
};
static double loss(const double *w, int n) {
  Net net;
  net.layers.push_back(std::make_unique<Layer>(w, 3, 4, [](double s) { return std::tanh(s); }));
  net.layers.push_back(std::make_unique<Layer>(w + 16, 4, 3, [](double s) { return s > 0 ? s : 0.1 * s; }));
  Vec x(3);
  x[0] = 0.5; x[1] = -0.3; x[2] = 0.9;
  double l = 0;
  try {
    Vec y = net(x);
    Vec z = y * y + y;
    for (size_t i = 0; i < z.size(); i++) l += z[i];
    Vec bad(2);
    net(bad); // throws
  } catch (const std::invalid_argument &) {
    l *= 1.5;
  }
  return l;
}
int main() {
  const int n = 16 + 15;
  double w[n], dw[n] = {0};
  for (int i = 0; i < n; i++) w[i] = 0.3 * std::sin(1.7 * i + 0.2);
  __enzyme_autodiff((void *)loss, enzyme_dup, w, dw, enzyme_const, n);
  CHECK_ARRAY_FD("reverse", w, n, dw, 1e-6, loss(w, n), RTOL_FD, ATOL_FD);
  for (int i = 0; i < n; i += 5) {
    double t[n] = {0};
    t[i] = 1;
    double fw = __enzyme_fwddiff((void *)loss, enzyme_dup, w, t, enzyme_const, n);
    CHECK_CLOSE("forward", fw, dw[i], RTOL_D, ATOL_D);
  }
  return check_report();
}
