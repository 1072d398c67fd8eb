// CFLAGS: -std=c++17
// std::shared_ptr<Base> holding std::make_shared<Derived> objects with a virtual destructor, the
// derived classes holding a std::vector<double> built from active data, in a std::vector of
// shared_ptrs. Releasing them runs the control block's _M_dispose through its vtable, which
// destroys the member vector (operator delete of its active buffer). The vtable pointers stored
// into the objects have no shadow (constant tables of functions: they are their own shadow);
// ferment used to take pointers loaded from such objects for merges of duplicated and constant
// data and stop with a false "merges pointers to duplicated data with pointers to constant data"
// at -O0. Oracles: the analytic gradient, central differences, and forward vs reverse.
#include "check.h"
#include <memory>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
struct Model {
  virtual ~Model() = default;
  virtual double loss(const double *x, int n) const = 0;
};
struct Quad : Model {
  std::vector<double> w;
  Quad(const double *p, int n) : w(p, p + n) {}
  double loss(const double *x, int n) const override {
    double s = 0;
    for (int i = 0; i < n; i++) s += w[i] * x[i] * x[i];
    return s;
  }
};
struct Lin : Model {
  std::vector<double> w;
  double b;
  Lin(const double *p, int n) : w(p, p + n), b(p[0]) {}
  double loss(const double *x, int n) const override {
    double s = b;
    for (int i = 0; i < n; i++) s += w[i] * sin(x[i]);
    return s;
  }
};
static std::shared_ptr<Model> make(int kind, const double *p, int n) {
  if (kind == 0) return std::make_shared<Quad>(p, n);
  return std::make_shared<Lin>(p, n);
}
static double f(const double *p, const double *x, int n, int kind) {
  std::shared_ptr<Model> m = make(kind, p, n);
  std::vector<std::shared_ptr<Model>> all{m, make(1 - kind, p, n)};
  double s = 0;
  for (auto &q : all) s += q->loss(x, n);
  return s;
}
int main() {
  double p[3] = {0.5, 1.2, 1.5}, dp[3] = {0}, x[3] = {0.2, -0.4, 0.9}, dx[3] = {0};
  for (int kind = 0; kind < 2; kind++) {
    for (int i = 0; i < 3; i++) dp[i] = dx[i] = 0;
    __enzyme_autodiff((void *)f, enzyme_dup, p, dp, enzyme_dup, x, dx, enzyme_const, 3, enzyme_const, kind);
    for (int i = 0; i < 3; i++) {
      CHECK_CLOSE("dp", dp[i], x[i] * x[i] + sin(x[i]) + (i == 0 ? 1.0 : 0.0), RTOL_D, ATOL_D);
      CHECK_CLOSE("dx", dx[i], 2 * p[i] * x[i] + p[i] * cos(x[i]), RTOL_D, ATOL_D);
    }
    double tp[3] = {1, 0, 0}, tx[3] = {0, 1, 0};
    double fw = __enzyme_fwddiff((void *)f, enzyme_dup, p, tp, enzyme_dup, x, tx, enzyme_const, 3, enzyme_const, kind);
    CHECK_CLOSE("fwd", fw, dp[0] + dx[1], RTOL_D, ATOL_D);
    CHECK_ARRAY_FD("dp fd", p, 3, dp, 1e-6, f(p, x, 3, kind), RTOL_FD, ATOL_FD);
    CHECK_ARRAY_FD("dx fd", x, 3, dx, 1e-6, f(p, x, 3, kind), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
