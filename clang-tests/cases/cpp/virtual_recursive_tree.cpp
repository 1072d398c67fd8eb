// CFLAGS: -std=c++17
// An expression tree evaluated by recursion through virtual calls (issue 14): leaves keep an
// int index (Var), a double (Num) or an int exponent beside a child pointer (PowN) at the same
// offsets where the inner nodes keep child pointers (Add, Mul, Sin). The tree is built with
// `new` inside the differentiated function, evaluated, and deleted by virtual destructors.
// Oracles: central finite differences (reverse), forward mode vs reverse.
#include "check.h"
#include <cmath>
extern "C" {
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

struct Node {
  virtual ~Node() = default;
  virtual double eval(const double *x) const = 0;
};
struct Var : Node {
  int i;
  explicit Var(int i) : i(i) {}
  double eval(const double *x) const override { return x[i]; }
};
struct Num : Node {
  double v;
  explicit Num(double v) : v(v) {}
  double eval(const double *) const override { return v; }
};
struct PowN : Node {
  int n;
  Node *a;
  PowN(int n, Node *a) : n(n), a(a) {}
  ~PowN() { delete a; }
  double eval(const double *x) const override {
    double b = a->eval(x), r = 1;
    for (int k = 0; k < n; k++) r *= b;
    return r;
  }
};
struct Bin : Node {
  Node *l, *r;
  Bin(Node *l, Node *r) : l(l), r(r) {}
  ~Bin() {
    delete l;
    delete r;
  }
};
struct Add : Bin {
  using Bin::Bin;
  double eval(const double *x) const override { return l->eval(x) + r->eval(x); }
};
struct Mul : Bin {
  using Bin::Bin;
  double eval(const double *x) const override { return l->eval(x) * r->eval(x); }
};
struct Sin : Node {
  Node *a;
  explicit Sin(Node *a) : a(a) {}
  ~Sin() { delete a; }
  double eval(const double *x) const override { return std::sin(a->eval(x)); }
};

// (x0 * sin(x1 + 0.5))^2 + 3 * x2 * x0 + (x1 * x2)^3
double f(const double *x, int depth) {
  Node *t = new Add(new PowN(2, new Mul(new Var(0), new Sin(new Add(new Var(1), new Num(0.5))))),
                    new Mul(new Num(3.0), new Mul(new Var(2), new Var(0))));
  for (int d = 0; d < depth; d++) t = new Add(t, new PowN(3, new Mul(new Var(1), new Var(2))));
  double y = t->eval(x);
  delete t;
  return y;
}

static double f1(const double *x) { return f(x, 1); }

int main() {
  double x[3] = {0.4, -0.3, 0.8}, dx[3] = {0, 0, 0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, 1);
  CHECK_ARRAY_FD("reverse", x, 3, dx, 1e-6, f1(x), RTOL_FD, ATOL_FD);
  for (int i = 0; i < 3; i++) {
    double t[3] = {0, 0, 0};
    t[i] = 1;
    double df = __enzyme_fwddiff((void *)f, enzyme_dup, x, t, enzyme_const, 1);
    CHECK_CLOSE("forward vs reverse", df, dx[i], RTOL_D, ATOL_D);
  }
  return check_report();
}
