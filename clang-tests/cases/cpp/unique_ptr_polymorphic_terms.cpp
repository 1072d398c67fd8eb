// CFLAGS: -std=c++17
// A cost built from polymorphic terms (issue 14, section 4): std::vector<std::unique_ptr<Term>>
// created inside the differentiated function with std::make_unique, virtual calls in a const
// range-for, terms taking their weights from the active input (a quadratic term per input and
// a sine coupling per neighbour pair). Oracles: central finite differences of every input;
// forward vs reverse.
#include "check.h"
#include <cmath>
#include <memory>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Term {
  virtual ~Term() = default;
  virtual double value(const double *x) const = 0;
};
struct Quadratic : Term {
  int i;
  double w;
  Quadratic(int i, double w) : i(i), w(w) {}
  double value(const double *x) const override { return w * x[i] * x[i]; }
};
struct Coupling : Term {
  int i, j;
  double w;
  Coupling(int i, int j, double w) : i(i), j(j), w(w) {}
  double value(const double *x) const override { return w * std::sin(x[i] - x[j]); }
};

static double polymorphic_cost(const double *x, int n) {
  std::vector<std::unique_ptr<Term>> terms;
  for (int i = 0; i < n; i++) terms.push_back(std::make_unique<Quadratic>(i, 0.5 + x[(i + 2) % n]));
  for (int i = 0; i + 1 < n; i++) terms.push_back(std::make_unique<Coupling>(i, i + 1, x[0]));
  double s = 0;
  for (const auto &t : terms) s += t->value(x);
  return s;
}

typedef double (*objective)(const double *, int);

static void check(const char *what, objective f, int n) {
  std::vector<double> x(n), dx(n, 0.0), t(n);
  for (int i = 0; i < n; i++) x[i] = 0.3 + 0.17 * i - 0.02 * i * i;
  __enzyme_autodiff((void *)f, x.data(), dx.data(), n);
  CHECK_ARRAY_FD(what, x, n, dx, 1e-6, f(x.data(), n), RTOL_FD, ATOL_FD);
  for (int i = 0; i < n; i++) t[i] = 0.5 - 0.1 * i;
  double tan = __enzyme_fwddiff((void *)f, x.data(), t.data(), n);
  CHECK_CLOSE(what, tan, dotv(dx.data(), t.data(), n), RTOL_D, ATOL_D);
}

int main() {
  check("polymorphic_cost", polymorphic_cost, 5);
  return check_report();
}
