// A C++ virtual call whose target is known from the object's dynamic type: a local object of a
// `final` class called through a base-class reference. clang devirtualizes it at -O1+; at -O0
// (and under `opt` from -O0 IR) the plugin's inlining of the constructor plus canonicalization
// must fold the vtable load into a direct call. Reverse and forward against analytic derivatives.
// RUN: clang opt
#include "check.h"
#include <cmath>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Shape {
  virtual double value(double x) const = 0;
  virtual ~Shape() {}
};
struct SinSq final : Shape {
  double w;
  explicit SinSq(double w_) : w(w_) {}
  double value(double x) const override { return w * x * x * std::sin(x); }
};

double via_ref(double x) {
  SinSq s(1.5);
  const Shape &r = s;
  return r.value(x) + x;
}

int main() {
  static const double xs[] = {-1.2, 0.4, 1.3, 2.0};
  for (double x : xs) {
    double want = 1.5 * (2.0 * x * std::sin(x) + x * x * std::cos(x)) + 1.0;
    CHECK_CLOSE_AT("oracle: via_ref' vs finite differences", x, want, fd1(via_ref, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse through a devirtualizable call", x, __enzyme_autodiff((void *)via_ref, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward through a devirtualizable call", x, __enzyme_fwddiff((void *)via_ref, x, 1.0), want, RTOL_D, ATOL_D);
  }
  return check_report();
}
