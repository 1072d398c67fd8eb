// CFLAGS: -std=c++17
// dynamic_cast in a differentiated function (libstdc++'s __dynamic_cast, external): shapes
// owned by std::unique_ptr in a std::vector, a down-cast that fails for some objects (null),
// and a cross-cast between the two bases of a class with multiple inheritance, whose result
// lies at a non-zero offset inside the object. The cast's result must carry the object's
// shadow moved by the same offset (was 'cannot differentiate call to external function
// __dynamic_cast'). Oracles: central finite differences (reverse), directional difference
// (forward), forward vs reverse.
#include "check.h"
#include <cmath>
#include <memory>
#include <string>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
struct Shape {
  virtual ~Shape() = default;
  virtual double area() const = 0;
};
struct Named {
  virtual ~Named() = default;
  double weight = 1;
};
struct Circle : Shape {
  double r;
  explicit Circle(double r) : r(r) {}
  double area() const override { return M_PI * r * r; }
};
struct Rect : Named, Shape {
  double w, h;
  Rect(double w, double h) : w(w), h(h) {}
  double area() const override { return w * h; }
};
static double total(const double *p, int n) {
  std::vector<std::unique_ptr<Shape>> shapes;
  for (int i = 0; i < n; i++) {
    if (i % 2)
      shapes.push_back(std::make_unique<Rect>(p[i], p[i] + 1));
    else
      shapes.push_back(std::make_unique<Circle>(p[i]));
  }
  double s = 0;
  for (const auto &sh : shapes) {
    s += sh->area();
    if (Rect *r = dynamic_cast<Rect *>(sh.get())) { // down-cast: null for circles
      r->weight = r->w * r->h;
      s += r->w * r->w;
    }
    if (const Named *nm = dynamic_cast<const Named *>(sh.get())) // cross-cast, offset
      s += nm->weight * nm->weight;
  }
  return s;
}
int main() {
  const int n = 4;
  double p[n] = {0.5, 1.2, 0.8, 2.0}, dp[n] = {0}, t[n] = {1, -1, 0.5, 0.3}, pp[n], pm[n];
  __enzyme_autodiff((void *)total, enzyme_dup, p, dp, enzyme_const, n);
  CHECK_ARRAY_FD("reverse", p, n, dp, 1e-6, total(p, n), RTOL_FD, ATOL_FD);
  double fw = __enzyme_fwddiff((void *)total, enzyme_dup, p, t, enzyme_const, n);
  double h = 1e-6;
  shift_along(pp, p, t, h, n);
  shift_along(pm, p, t, -h, n);
  CHECK_CLOSE("forward", fw, (total(pp, n) - total(pm, n)) / (2 * h), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("forward vs reverse", fw, dotv(t, dp, n), 1e-10, 1e-12);
  return check_report();
}
