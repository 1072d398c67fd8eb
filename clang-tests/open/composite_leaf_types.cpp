// Composite pattern (an expression tree of polymorphic nodes) built inside the differentiated
// function: Param keeps an `int` at offset 8, Const a `double`, Add two child pointers. A false
// refusal at -O0 and -O1 (main 32dae5b too), -O2/-O3 pass:
//   "reads memory that may hold floating-point data as an integer (... type conflict for %8 at
//    [-1,8]: Integer vs Float@double ...)" while differentiating Add::eval.
// Cause (session 36): `a->eval(p)` in Add::eval (kept: it recurses through the dispatcher)
// becomes a dispatcher whose targets Param::eval, Const::eval and Add::eval are inlined into
// one branch each; all branches use the same `this` value, and type analysis (flow-insensitive)
// merges the three classes' views of offset 8 into one contradictory tree. Needs a per-branch
// `this` that type analysis does not merge back into the dispatched pointer (the generators
// must still map its shadow), or type facts keyed by the dispatcher's branch.
// Oracle: central differences.
#include "check.h"
extern "C" {
extern int enzyme_dup, enzyme_const;
}
template <typename R, typename... A> R __enzyme_autodiff(void *, A...);
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
  return check_report();
}
