// CFLAGS: -std=c++17
// Virtual calls through a second base (this-adjusting thunks) and an sret return (issue 14):
// Scaler and Named are two bases of Gain and Offset, which keep an int or a double at the
// same offset after the bases; calls go through Scaler pointers (thunks adjust `this`), and a
// virtual method returning a struct by value passes `this` after the sret pointer.
// Oracles: central finite differences (reverse), forward mode vs reverse.
#include "check.h"
#include <cmath>
extern "C" {
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

struct Named {
  virtual ~Named() = default;
  virtual int id() const { return 0; }
  long tag = 7;
};
struct Pair {
  double a, b, c;
};
struct Scaler {
  virtual ~Scaler() = default;
  virtual double scale(double v) const = 0;
  virtual Pair split(double v) const = 0;
};
struct Gain : Named, Scaler { // int after the bases
  int k;
  explicit Gain(int k) : k(k) {}
  double scale(double v) const override { return k * v * v; }
  Pair split(double v) const override { return {v * k, std::sin(v), 1.0 * k}; }
};
struct Offset : Named, Scaler { // double after the bases
  double o;
  explicit Offset(double o) : o(o) {}
  double scale(double v) const override { return v + o * v * v * v; }
  Pair split(double v) const override { return {o * v, v * v, std::exp(o * v)}; }
};

double f(const double *x) {
  Scaler *s[3] = {new Gain(3), new Offset(0.5), new Gain(-2)};
  double r = 0;
  for (int k = 0; k < 3; k++) {
    Pair p = s[k]->split(x[k]);
    r += s[k]->scale(x[(k + 1) % 3]) + p.a * p.b + p.c * x[0];
  }
  for (int k = 0; k < 3; k++) delete s[k];
  return r;
}

int main() {
  double x[3] = {0.3, -0.6, 0.9}, dx[3] = {0, 0, 0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx);
  CHECK_ARRAY_FD("reverse", x, 3, dx, 1e-6, f(x), RTOL_FD, ATOL_FD);
  for (int i = 0; i < 3; i++) {
    double t[3] = {0, 0, 0};
    t[i] = 1;
    double df = __enzyme_fwddiff((void *)f, enzyme_dup, x, t);
    CHECK_CLOSE("forward vs reverse", df, dx[i], RTOL_D, ATOL_D);
  }
  return check_report();
}
