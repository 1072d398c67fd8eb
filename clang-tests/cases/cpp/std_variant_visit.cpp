// CFLAGS: -std=c++17
// std::variant<Circle, Rect> shapes in a std::vector, areas by std::visit with a visitor
// struct, std::holds_alternative and std::get. At -O0 libstdc++'s std::visit names its variant
// through a variadic lambda that never reads its `...` (`[](V &v, ...) -> V & { return v; }`):
// it is inlined like any callee (was 'cannot differentiate the variadic function'). Oracles:
// central finite differences (reverse), directional difference (forward), forward vs reverse.
#include "check.h"
#include <cmath>
#include <typeinfo>
#include <variant>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
struct Circle { double r; };
struct Rect { double w, h; };
using Shape = std::variant<Circle, Rect>;
struct Area {
  double operator()(const Circle &c) const { return M_PI * c.r * c.r; }
  double operator()(const Rect &r) const { return r.w * r.h; }
};
static double total(const double *p, int n) {
  std::vector<Shape> v;
  for (int i = 0; i < n; i++) {
    if (i % 2) v.push_back(Rect{p[i], 2 * p[i]}); else v.push_back(Circle{p[i]});
  }
  double s = 0;
  for (const Shape &sh : v) {
    s += std::visit(Area{}, sh);
    if (std::holds_alternative<Rect>(sh)) s += std::get<Rect>(sh).w;
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
