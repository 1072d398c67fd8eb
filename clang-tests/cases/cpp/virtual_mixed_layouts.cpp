// CFLAGS: -std=c++17
// Polymorphic terms whose classes keep different things at the same offsets (issue 14): an
// abstract base and four derived classes with an int, a double, a pointer or two floats at
// offset 8 and something else again at offset 16, held in a std::vector<std::unique_ptr<Term>>
// that the differentiated function builds with `new` (make_unique) and walks through base
// pointers. Each branch of ferment's dispatcher sees the object as its own class (a class
// view), so the classes' fields do not contradict each other.
// Oracles: central finite differences (reverse), forward mode vs finite differences.
#include "check.h"
#include <memory>
#include <vector>
#include <cmath>
extern "C" {
extern int enzyme_dup, enzyme_const, enzyme_dupnoneed;
void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

struct Term {
  virtual ~Term() = default;
  virtual double eval(const double *x) const = 0;
};
struct Pick : Term { // int at 8, double at 16
  int i;
  double w;
  Pick(int i, double w) : i(i), w(w) {}
  double eval(const double *x) const override { return w * x[i]; }
};
struct Bias : Term { // double at 8, int at 16
  double c;
  int n;
  Bias(double c, int n) : c(c), n(n) {}
  double eval(const double *x) const override { return c * n + x[0] * x[1]; }
};
struct Deref : Term { // pointer at 8, int at 16
  const double *p;
  int k;
  Deref(const double *p, int k) : p(p), k(k) {}
  double eval(const double *x) const override { return std::sin(p[k]) * x[2]; }
};
struct Twin : Term { // floats at 8 and 12, double at 16
  float a, b;
  double s;
  Twin(float a, float b, double s) : a(a), b(b), s(s) {}
  double eval(const double *x) const override { return (a + b) * s * x[1] * x[1]; }
};

double f(const double *x) {
  std::vector<std::unique_ptr<Term>> terms;
  terms.push_back(std::make_unique<Pick>(2, 1.5));
  terms.push_back(std::make_unique<Bias>(0.25, 3));
  terms.push_back(std::make_unique<Deref>(x, 0));
  terms.push_back(std::make_unique<Twin>(0.5f, 0.25f, 2.0));
  terms.push_back(std::make_unique<Pick>(0, -0.75));
  double s = 0;
  for (const auto &t : terms) s += t->eval(x) * x[0];
  return s;
}

static double f_plain(const double *x) { return f(x); }

int main() {
  double x[3] = {0.3, -0.7, 1.1}, dx[3] = {0, 0, 0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx);
  CHECK_ARRAY_FD("reverse", x, 3, dx, 1e-6, f_plain(x), RTOL_FD, ATOL_FD);
  for (int i = 0; i < 3; i++) {
    double t[3] = {0, 0, 0};
    t[i] = 1;
    double df = __enzyme_fwddiff((void *)f, enzyme_dup, x, t);
    CHECK_CLOSE("forward vs reverse", df, dx[i], RTOL_D, ATOL_D);
  }
  return check_report();
}
