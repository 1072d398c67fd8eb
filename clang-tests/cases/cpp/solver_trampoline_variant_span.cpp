// CFLAGS: -std=c++20
// A templated, AD-agnostic optimizer the way libraries wrap Enzyme: `GradientDescent<Problem>`
// knows nothing of derivatives except a static trampoline `loss_of(const Problem *, const
// double *)` that calls the problem's member function, and takes the gradient with
// __enzyme_autodiff on that trampoline (the problem object passed as enzyme_const). The problem
// mixes C++17/20 vocabulary types: observations in a std::vector of
// std::variant<Point, Segment, Circle> read with std::visit and an overloaded lambda set,
// parameters viewed through std::span (subspans for the centre and the scale), a robust
// weight returned as std::optional<double> (nullopt for outliers, value_or at the use), and a
// std::array of per-kind weights. The test differentiates the loss itself (reverse and forward)
// and runs a few descent steps with the library's gradient, checked against the gradient the
// test computes with finite differences at each iterate. Oracles: central finite differences of
// the primal; forward against reverse.
#include "check.h"
#include <array>
#include <cmath>
#include <optional>
#include <span>
#include <variant>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Point { double x, y; };
struct Segment { double x0, y0, x1, y1; };
struct Circle { double cx, cy, r; };
using Obs = std::variant<Point, Segment, Circle>;

template <class... F> struct overloaded : F... { using F::operator()...; };
template <class... F> overloaded(F...) -> overloaded<F...>;

static std::optional<double> robust_weight(double r2, double cutoff) {
  if (r2 > cutoff * cutoff)
    return std::nullopt;
  return 1.0 / (1.0 + r2);
}

class FitProblem {
public:
  FitProblem(std::vector<Obs> obs, std::array<double, 3> w) : obs_(std::move(obs)), w_(w) {}
  // Parameters: centre (2), scale, rotation.
  double loss(std::span<const double> p) const {
    std::span<const double> c = p.subspan(0, 2);
    double s = p[2], th = p[3];
    double ct = std::cos(th), st = std::sin(th);
    auto map = [&](double x, double y, double &u, double &v) {
      u = c[0] + s * (ct * x - st * y);
      v = c[1] + s * (st * x + ct * y);
    };
    double L = 0;
    for (const Obs &o : obs_) {
      double r2 = std::visit(
          overloaded{[&](const Point &q) {
                       double u, v;
                       map(q.x, q.y, u, v);
                       return w_[0] * (u * u + v * v);
                     },
                     [&](const Segment &q) {
                       double u0, v0, u1, v1;
                       map(q.x0, q.y0, u0, v0);
                       map(q.x1, q.y1, u1, v1);
                       double dx = u1 - u0, dy = v1 - v0;
                       return w_[1] * (std::sqrt(dx * dx + dy * dy) - 1.0) *
                              (std::sqrt(dx * dx + dy * dy) - 1.0);
                     },
                     [&](const Circle &q) {
                       double u, v;
                       map(q.cx, q.cy, u, v);
                       double d = std::hypot(u, v) - s * q.r;
                       return w_[2] * d * d;
                     }},
          o);
      L += robust_weight(r2, 4.0).value_or(0.0) * r2;
    }
    return L + 0.01 * (s - 1) * (s - 1);
  }

private:
  std::vector<Obs> obs_;
  std::array<double, 3> w_;
};

template <class Problem> class GradientDescent {
public:
  explicit GradientDescent(const Problem &pb) : pb_(pb) {}
  static double loss_of(const Problem *pb, const double *p, int n) {
    return pb->loss(std::span<const double>(p, (size_t)n));
  }
  void gradient(const double *p, double *g, int n) const {
    for (int i = 0; i < n; i++)
      g[i] = 0;
    __enzyme_autodiff((void *)&GradientDescent::loss_of, enzyme_const, &pb_, enzyme_dup, p, g,
                      enzyme_const, n);
  }
  double directional(const double *p, const double *t, int n) const {
    return __enzyme_fwddiff((void *)&GradientDescent::loss_of, enzyme_const, &pb_, enzyme_dup, p,
                            t, enzyme_const, n);
  }

private:
  const Problem &pb_;
};

static FitProblem *g_pb;
static double loss_at(const double *p, const void *) {
  return GradientDescent<FitProblem>::loss_of(g_pb, p, 4);
}

int main() {
  std::vector<Obs> obs;
  for (int i = 0; i < 5; i++) {
    obs.push_back(Point{0.3 * i - 0.5, 0.2 * std::sin(i)});
    obs.push_back(Segment{0.1 * i, -0.2, 0.1 * i + 0.7, 0.3 + 0.05 * i});
    if (i % 2)
      obs.push_back(Circle{0.2 * i, -0.1 * i, 0.5});
  }
  obs.push_back(Point{9.0, 9.0}); // an outlier: weight nullopt
  FitProblem pb(obs, {1.0, 0.7, 0.4});
  g_pb = &pb;
  GradientDescent<FitProblem> gd(pb);
  double p[4] = {0.1, -0.2, 1.1, 0.3}, g[4];
  for (int it = 0; it < 4; it++) {
    gd.gradient(p, g, 4);
    CHECK_GRAD_FD("gradient vs fd", loss_at, nullptr, p, 4, g, RTOL_FD, ATOL_FD);
    for (int k = 0; k < 4; k++) {
      double t[4] = {0};
      t[k] = 1;
      CHECK_CLOSE("forward vs reverse", gd.directional(p, t, 4), g[k], RTOL_D, ATOL_D);
    }
    for (int k = 0; k < 4; k++)
      p[k] -= 0.05 * g[k];
  }
  return check_report();
}
