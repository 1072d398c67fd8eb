// CFLAGS: -std=c++17
// A model built inside the differentiated function as C++ users write it: a
// std::vector<std::unique_ptr<Term>> filled by a noinline factory that picks the derived type
// at run time from an integer code, each term holding a parameter taken from the active input;
// evaluated through the pure virtual interface and destroyed through the virtual destructor
// (operator delete of every object) before the function returns. A class template of virtual
// classes (Scaled<T>, instantiated for float and double) is among the terms. Reverse, forward
// and split mode (augmented forward + reverse on one tape). Oracles: central finite differences,
// forward vs reverse.
#include "check.h"
#include <cmath>
#include <memory>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern "C" void *__enzyme_augmentfwd(void *, ...);
extern "C" void __enzyme_reverse(void *, ...);

struct Term {
  virtual ~Term() = default;
  virtual double eval(double x) const = 0;
};
struct Quad : Term {
  double a;
  explicit Quad(double a) : a(a) {}
  double eval(double x) const override { return a * x * x; }
};
struct Wave : Term {
  double w;
  explicit Wave(double w) : w(w) {}
  double eval(double x) const override { return std::sin(w * x); }
};
// Owns a heap buffer: its destructor frees active memory.
struct Poly : Term {
  double *c;
  int n;
  Poly(double p, int n) : c(new double[n]), n(n) {
    for (int i = 0; i < n; i++)
      c[i] = p / (i + 1);
  }
  ~Poly() override { delete[] c; }
  double eval(double x) const override {
    double s = 0;
    for (int i = n - 1; i >= 0; i--)
      s = s * x + c[i];
    return s;
  }
};
template <class T> struct Scaled : Term {
  T k;
  explicit Scaled(double k) : k((T)k) {}
  double eval(double x) const override { return (double)(k * (T)std::exp(0.25 * x)); }
};

__attribute__((noinline)) std::unique_ptr<Term> make_term(int kind, double p) {
  switch (kind % 5) {
  case 0:
    return std::make_unique<Quad>(p);
  case 1:
    return std::make_unique<Wave>(p);
  case 2:
    return std::make_unique<Poly>(p, 3 + kind % 3);
  case 3:
    return std::make_unique<Scaled<double>>(p);
  default:
    return std::make_unique<Scaled<float>>(p);
  }
}

// x[0..n) are the terms' parameters, x[n] the point; kinds chosen by the caller at run time.
__attribute__((noinline)) double model(const double *x, const int *kinds, int n) {
  std::vector<std::unique_ptr<Term>> terms;
  for (int i = 0; i < n; i++)
    terms.push_back(make_term(kinds[i], x[i]));
  double s = 0;
  for (int i = 0; i < n; i++)
    s += terms[i]->eval(x[n]) * terms[(i + 1) % n]->eval(x[n] * 0.5);
  return s;
}

static int kinds_g[8];
static int n_g;
static double model_c(const double *x, const void *) { return model(x, kinds_g, n_g); }

int main(int argc, char **argv) {
  (void)argv;
  const int n = 6;
  n_g = n;
  for (int i = 0; i < n; i++)
    kinds_g[i] = (i * 3 + argc - 1) % 7;
  double x[n + 1] = {0.8, -0.6, 1.3, 0.7, -0.9, 1.1, 0.45};
  double dx[n + 1] = {0};
  __enzyme_autodiff((void *)model, enzyme_dup, x, dx, enzyme_const, kinds_g, enzyme_const, n);
  CHECK_GRAD_FD("reverse", model_c, nullptr, x, n + 1, dx, RTOL_FD, ATOL_FD);
  // Forward along each unit direction = the gradient's component.
  for (int i = 0; i <= n; i++) {
    double t[n + 1] = {0};
    t[i] = 1.0;
    double f = __enzyme_fwddiff((void *)model, enzyme_dup, x, t, enzyme_const, kinds_g,
                                enzyme_const, n);
    CHECK_CLOSE("forward vs reverse", f, dx[i], RTOL_D, ATOL_D);
  }
  double sx[n + 1] = {0};
  void *tape = __enzyme_augmentfwd((void *)model, enzyme_dup, x, sx, enzyme_const, kinds_g,
                                   enzyme_const, n);
  __enzyme_reverse((void *)model, enzyme_dup, x, sx, enzyme_const, kinds_g, enzyme_const, n,
                   2.0, tape);
  for (int i = 0; i <= n; i++)
    CHECK_CLOSE("split mode (seed 2) vs reverse", sx[i], 2.0 * dx[i], RTOL_D, ATOL_D);
  return check_report();
}
