// CFLAGS: -std=c++17
// A polynomial class holding its coefficients in a std::vector<double>, with operator+ and
// operator* returning new polynomials by value, a derivative() member, operator() by Horner's
// rule, owned through std::unique_ptr (make_unique, moved into a std::vector of unique_ptrs).
// The loss is a least-squares fit of p*p + p' at sample points. Reverse mode with respect to the
// coefficients, forward mode along each coefficient and along the sample data. Oracles: central
// finite differences of the primal.
#include "check.h"
#include <cmath>
#include <memory>
#include <utility>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

class Poly {
public:
  explicit Poly(std::vector<double> c) : c_(std::move(c)) {}
  Poly(const double *c, int n) : c_(c, c + n) {}
  double operator()(double x) const {
    double r = 0;
    for (auto it = c_.rbegin(); it != c_.rend(); ++it)
      r = r * x + *it;
    return r;
  }
  Poly operator+(const Poly &o) const {
    std::vector<double> r(std::max(c_.size(), o.c_.size()), 0.0);
    for (size_t i = 0; i < c_.size(); i++)
      r[i] += c_[i];
    for (size_t i = 0; i < o.c_.size(); i++)
      r[i] += o.c_[i];
    return Poly(std::move(r));
  }
  Poly operator*(const Poly &o) const {
    std::vector<double> r(c_.size() + o.c_.size() - 1, 0.0);
    for (size_t i = 0; i < c_.size(); i++)
      for (size_t j = 0; j < o.c_.size(); j++)
        r[i + j] += c_[i] * o.c_[j];
    return Poly(std::move(r));
  }
  Poly derivative() const {
    if (c_.size() < 2)
      return Poly(std::vector<double>{0.0});
    std::vector<double> r;
    r.reserve(c_.size() - 1);
    for (size_t i = 1; i < c_.size(); i++)
      r.push_back(i * c_[i]);
    return Poly(std::move(r));
  }

private:
  std::vector<double> c_;
};

static double fit(const double *c, int n, const double *xs, const double *ys, int m) {
  std::vector<std::unique_ptr<Poly>> parts;
  parts.push_back(std::make_unique<Poly>(c, n));
  auto p = std::move(parts.back());
  parts.pop_back();
  parts.push_back(std::make_unique<Poly>(*p * *p + p->derivative()));
  double loss = 0;
  for (int i = 0; i < m; i++) {
    double r = (*parts[0])(xs[i]) - ys[i];
    loss += r * r;
  }
  return loss / m;
}

int main() {
  const int m = 6;
  double xs[m], ys[m];
  for (int i = 0; i < m; i++) {
    xs[i] = -1.0 + 0.4 * i;
    ys[i] = std::exp(0.5 * xs[i]);
  }
  for (int n = 1; n <= 4; n++) {
    double c[4] = {0.9, -0.4, 0.25, 0.1}, dc[4] = {0}, dys[m] = {0};
    __enzyme_autodiff((void *)fit, enzyme_dup, c, dc, enzyme_const, n, enzyme_const, xs,
                      enzyme_dup, ys, dys, enzyme_const, m);
    CHECK_ARRAY_FD("reverse dc", c, n, dc, 1e-6, fit(c, n, xs, ys, m), RTOL_FD, ATOL_FD);
    CHECK_ARRAY_FD("reverse dys", ys, m, dys, 1e-6, fit(c, n, xs, ys, m), RTOL_FD, ATOL_FD);
    for (int k = 0; k < n; k++) {
      double t[4] = {0}, ty[m] = {0};
      t[k] = 1;
      ty[k] = 0.5;
      double fw = __enzyme_fwddiff((void *)fit, enzyme_dup, c, t, enzyme_const, n, enzyme_const,
                                   xs, enzyme_dup, ys, ty, enzyme_const, m);
      CHECK_CLOSE("forward", fw, dc[k] + 0.5 * dys[k], RTOL_D, ATOL_D);
      CHECK_CLOSE("forward vs fd", fw,
                  FD_AT(c[k], 1e-6, fit(c, n, xs, ys, m)) + 0.5 * FD_AT(ys[k], 1e-6, fit(c, n, xs, ys, m)),
                  RTOL_FD, ATOL_FD);
    }
  }
  return check_report();
}
