// CFLAGS: -std=c++17
// Polymorphic objects built by the caller (issue 14): shapes whose classes keep an int, a
// double or a pointer at the same offset. Some are constant (an array of base pointers passed
// with enzyme_const); one carries an active coefficient and is passed with enzyme_dup beside a
// shadow object of the same class (its doubles zeroed), as Enzyme users write it.
// Oracles: central finite differences (reverse), forward mode vs reverse.
#include "check.h"
#include <cmath>
extern "C" {
extern int enzyme_dup, enzyme_const;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

struct Shape {
  virtual ~Shape() = default;
  virtual double area(double s) const = 0;
};
struct Square : Shape { // int at 8
  int sides;
  explicit Square(int n) : sides(n) {}
  double area(double s) const override { return sides * 0.25 * s * s; }
};
struct Circle : Shape { // double at 8
  double r;
  explicit Circle(double r) : r(r) {}
  double area(double s) const override { return 3.141592653589793 * r * r * s; }
};
struct Poly : Shape { // pointer at 8, int at 16
  const double *w;
  int n;
  Poly(const double *w, int n) : w(w), n(n) {}
  double area(double s) const override {
    double a = 0;
    for (int k = 0; k < n; k++) a += w[k] * std::pow(s, k);
    return a;
  }
};

double total(const Shape *const *shapes, int n, const Shape *scaled, double s) {
  double a = 0;
  for (int k = 0; k < n; k++) a += shapes[k]->area(s);
  return a * scaled->area(s);
}

int main() {
  static const double w[3] = {1.0, -0.5, 0.25};
  Square sq(4);
  Circle c1(0.75);
  Poly p(w, 3);
  const Shape *shapes[3] = {&sq, &c1, &p};
  Circle scaled(1.2), dscaled(0.0);
  Poly pscaled(w, 2);
  double s = 0.9;

  // d/ds with constant objects, and d/dr through the dup'ed circle
  dscaled.r = 0;
  double ds = __enzyme_autodiff((void *)total, enzyme_const, shapes, enzyme_const, 3, enzyme_dup,
                                (const Shape *)&scaled, (const Shape *)&dscaled, s);
  auto at = [&](double sv, double r) {
    Circle c(r);
    return total(shapes, 3, &c, sv);
  };
  const double h = 1e-6;
  CHECK_CLOSE("d/ds", ds, (at(s + h, 1.2) - at(s - h, 1.2)) / (2 * h), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("d/dr", dscaled.r, (at(s, 1.2 + h) - at(s, 1.2 - h)) / (2 * h), RTOL_FD, ATOL_FD);

  // the scaling object of another class (no doubles to differentiate)
  double ds2 = __enzyme_autodiff((void *)total, enzyme_const, shapes, enzyme_const, 3,
                                 enzyme_const, (const Shape *)&pscaled, s);
  double fd2 = (total(shapes, 3, &pscaled, s + h) - total(shapes, 3, &pscaled, s - h)) / (2 * h);
  CHECK_CLOSE("d/ds (poly)", ds2, fd2, RTOL_FD, ATOL_FD);

  // forward mode: ds and dr together
  Circle tscaled(1.0);
  double dfwd = __enzyme_fwddiff((void *)total, enzyme_const, shapes, enzyme_const, 3, enzyme_dup,
                                 (const Shape *)&scaled, (const Shape *)&tscaled, s, 0.5);
  CHECK_CLOSE("forward vs reverse", dfwd, 0.5 * ds + 1.0 * dscaled.r, RTOL_D, ATOL_D);
  return check_report();
}
