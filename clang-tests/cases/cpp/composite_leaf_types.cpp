// CFLAGS: -std=c++17
// Composite pattern (an expression tree of polymorphic nodes) built inside the differentiated
// function: Param keeps an `int` at offset 8, Const a `double`, Add two child pointers (issue 14).
// Was a false refusal at -O0 and -O1 (session 36): "reads memory that may hold floating-point
// data as an integer (... type conflict ... at [-1,8]: Integer vs Float@double ...)" while
// differentiating Add::eval: `a->eval(p)` dispatches to the three `eval`s inlined one per branch,
// all on the same `this`, and type analysis (flow-insensitive) merged the three classes' views
// of offset 8. Fixed in session 37 by class views: each dispatcher branch passes the object
// through a view of its own (`dispatch::lower_class_views`, `rules::CLASS_VIEW`).
// Oracles: central differences (reverse), forward mode vs reverse.
#include "check.h"
extern "C" {
extern int enzyme_dup, enzyme_const;
}
template <typename R, typename... A> R __enzyme_autodiff(void *, A...);
template <typename R, typename... A> R __enzyme_fwddiff(void *, A...);
struct Expr {
  virtual ~Expr() = default;
  virtual double eval(const double *p) const = 0;
};
struct Param : Expr {
  int i;
  explicit Param(int i) : i(i) {}
  double eval(const double *p) const override { return p[i]; }
};
struct Const : Expr {
  double c;
  explicit Const(double c) : c(c) {}
  double eval(const double *) const override { return c; }
};
struct Add : Expr {
  Expr *a, *b;
  Add(Expr *a, Expr *b) : a(a), b(b) {}
  ~Add() {
    delete a;
    delete b;
  }
  double eval(const double *p) const override { return a->eval(p) + b->eval(p); }
};
double f(const double *p, int n) {
  Expr *e[2] = {new Add(new Param(1), new Const(0.5)), new Const(0.25)};
  double s = 0;
  for (int k = 0; k < 2; k++) s += e[k]->eval(p) * p[0];
  delete e[0];
  delete e[1];
  return s;
}
int main() {
  double p[2] = {0.3, -0.7}, dp[2] = {};
  __enzyme_autodiff<void>((void *)f, enzyme_dup, (const double *)p, dp, enzyme_const, 2);
  CHECK_ARRAY_FD("f", p, 2, dp, 1e-6, f(p, 2), RTOL_FD, ATOL_FD);
  for (int i = 0; i < 2; i++) {
    double t[2] = {0, 0};
    t[i] = 1;
    double df = __enzyme_fwddiff<double>((void *)f, enzyme_dup, (const double *)p, (const double *)t,
                                         enzyme_const, 2);
    CHECK_CLOSE("forward vs reverse", df, dp[i], RTOL_D, ATOL_D);
  }
  return check_report();
}
