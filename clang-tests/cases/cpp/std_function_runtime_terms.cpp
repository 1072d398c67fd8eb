// CFLAGS: -std=c++17
// An objective assembled at run time from a std::vector<std::function<double(const double *)>>:
// which terms go in, and what each lambda captures (by value: doubles, an index, a small
// std::vector; by reference: a weight array owned by the caller), depends on a configuration read
// at run time. The differentiated function loops over the vector and sums the terms; the terms
// are built outside it and passed as an enzyme_const argument. Several configurations (different
// term sets and captured values) go through the same derivative. Reverse mode and forward mode
// along each input. Oracles: central differences; forward vs reverse.
#include "check.h"
#include <cmath>
#include <functional>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

using Term = std::function<double(const double *)>;
struct Objective {
  std::vector<Term> terms;
  std::vector<double> scale;
};

static double total(const double *x, const Objective *o) {
  double s = 0;
  for (size_t i = 0; i < o->terms.size(); i++) s += o->scale[i] * o->terms[i](x);
  return s;
}

static double weights[4] = {1.0, 0.5, -0.25, 2.0};

static Objective build(unsigned config, int n) {
  Objective o;
  for (int k = 0; k < 6; k++) {
    if (!((config >> k) & 1)) continue;
    double c = 0.3 + 0.1 * k;
    int j = (k * 3 + (int)config) % n;
    switch (k % 4) {
    case 0: // quadratic around a captured center
      o.terms.push_back([c, j](const double *x) { return (x[j] - c) * (x[j] - c); });
      break;
    case 1: { // a captured coefficient vector (copied into the closure: heap storage)
      std::vector<double> a(n);
      for (int i = 0; i < n; i++) a[i] = std::cos(c * (i + 1));
      o.terms.push_back([a](const double *x) {
        double d = 0;
        for (size_t i = 0; i < a.size(); i++) d += a[i] * x[i];
        return std::sin(d);
      });
      break;
    }
    case 2: // captures the caller's weights by reference
      o.terms.push_back([&w = weights, n](const double *x) {
        double s = 0;
        for (int i = 0; i < n && i < 4; i++) s += w[i] * std::exp(0.2 * x[i]);
        return std::log(s * s + 1.0);
      });
      break;
    default: // a pair of indices and an exponent
      o.terms.push_back([j, n, c](const double *x) { return std::pow(x[j] * x[(j + 1) % n] + 2.0, 1.0 + c); });
    }
    o.scale.push_back(1.0 + 0.25 * k);
  }
  return o;
}

static double total_at(const double *x, const void *c) { return total(x, (const Objective *)c); }

int main() {
  const int n = 5;
  double x[n] = {0.3, -0.6, 0.9, 0.15, -0.2};
  const unsigned configs[] = {0x3f, 0x05, 0x2a, 0x13};
  for (unsigned cfg : configs) {
    Objective o = build(cfg, n);
    double dx[n] = {0};
    __enzyme_autodiff((void *)total, enzyme_dup, x, dx, enzyme_const, &o);
    CHECK_GRAD_FD("reverse", total_at, &o, x, n, dx, RTOL_FD, ATOL_FD);
    for (int k = 0; k < n; k++) {
      double t[n] = {0};
      t[k] = 1;
      CHECK_CLOSE_AT("fwd vs rev", cfg, __enzyme_fwddiff((void *)total, enzyme_dup, x, t, enzyme_const, &o), dx[k], RTOL_D, ATOL_D);
    }
  }
  return check_report();
}
