// CFLAGS: -std=c++17
// An energy as a std::vector<std::unique_ptr<Term>> of class templates (Spring<I, J>,
// Anchor<I>) and a class with a std::vector<int> member, called through the base class's pure
// virtual value() and a virtual scale() that some override: built inside the differentiated
// function from an active stiffness, and built outside and passed as enzyme_const.
// Oracles: central finite differences of every input, forward vs reverse.
#include "check.h"
#include <cmath>
#include <memory>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Term {
  virtual ~Term() = default;
  virtual double value(const double *x) const = 0;
  virtual double scale() const { return 1.0; }
};
template <int I, int J> struct Spring : Term {
  double rest, k;
  Spring(double r, double k_) : rest(r), k(k_) {}
  double value(const double *x) const override {
    double d = x[I] - x[J] - rest;
    return 0.5 * k * d * d;
  }
};
template <int I> struct Anchor : Term {
  double w;
  explicit Anchor(double w_) : w(w_) {}
  double value(const double *x) const override { return w * std::log(1 + x[I] * x[I]); }
  double scale() const override { return 2.0; }
};
struct Coupled : Term {
  std::vector<int> ids;
  double value(const double *x) const override {
    double p = 1;
    for (int i : ids) p *= std::cos(x[i]);
    return p;
  }
};

static std::vector<std::unique_ptr<Term>> build(double stiff) {
  std::vector<std::unique_ptr<Term>> ts;
  ts.emplace_back(new Spring<0, 1>(0.5, stiff));
  ts.emplace_back(new Spring<1, 2>(0.4, 2 * stiff));
  ts.emplace_back(new Spring<3, 2>(-0.2, 1.5));
  ts.emplace_back(new Anchor<0>(0.7));
  ts.emplace_back(new Anchor<3>(0.2));
  auto c = std::make_unique<Coupled>();
  c->ids = {0, 2, 3};
  ts.push_back(std::move(c));
  return ts;
}

// objects built inside the differentiated function; the stiffness is active too
static double total(const double *x) {
  auto ts = build(1.0 + x[4] * x[4]);
  double s = 0;
  for (const auto &t : ts) s += t->scale() * t->value(x);
  return s;
}
// objects built outside (constant), called through the base class
static double total_const(const double *x, const std::vector<std::unique_ptr<Term>> *ts) {
  double s = 0;
  for (const auto &t : *ts) s += t->scale() * t->value(x) * x[4];
  return s;
}

int main() {
  const int n = 5;
  double x[n] = {0.3, -0.8, 1.1, 0.45, 0.6}, dx[n] = {0}, t[n] = {0.2, -0.5, 0.7, 1.0, -0.3};
  __enzyme_autodiff((void *)total, enzyme_dup, x, dx);
  CHECK_ARRAY_FD("total", x, n, dx, 1e-7, total(x), RTOL_FD, ATOL_FD);
  double jv = __enzyme_fwddiff((void *)total, enzyme_dup, x, t);
  CHECK_CLOSE("total fwd vs rev", jv, dotv(dx, t, n), 1e-9, 1e-12);
  auto ts = build(1.3);
  double dx2[n] = {0};
  __enzyme_autodiff((void *)total_const, enzyme_dup, x, dx2, enzyme_const, &ts);
  CHECK_ARRAY_FD("total_const", x, n, dx2, 1e-7, total_const(x, &ts), RTOL_FD, ATOL_FD);
  double jv2 = __enzyme_fwddiff((void *)total_const, enzyme_dup, x, t, enzyme_const, &ts);
  CHECK_CLOSE("total_const fwd vs rev", jv2, dotv(dx2, t, n), 1e-9, 1e-12);
  return check_report();
}
