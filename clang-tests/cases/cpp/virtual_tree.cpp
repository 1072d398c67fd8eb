// CFLAGS: -std=c++17
// A recursive expression tree evaluated through virtual calls (each node calls its children's
// eval): recursion through the vtable, with node kinds chosen at run time by a noinline
// builder, owned by std::unique_ptr (virtual destructors run recursively). The variables are
// read from the active input array; constants and node shapes are not. Reverse, forward and
// split mode. Oracles: central finite differences, forward vs reverse.
#include "check.h"
#include <cmath>
#include <memory>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern "C" void *__enzyme_augmentfwd(void *, ...);
extern "C" void __enzyme_reverse(void *, ...);

struct Expr {
  virtual ~Expr() = default;
  virtual double eval(const double *x) const = 0;
};
using P = std::unique_ptr<Expr>;
struct Var : Expr {
  int i;
  explicit Var(int i) : i(i) {}
  double eval(const double *x) const override { return x[i]; }
};
struct Num : Expr {
  double c;
  explicit Num(double c) : c(c) {}
  double eval(const double *) const override { return c; }
};
struct Add : Expr {
  P a, b;
  Add(P a, P b) : a(std::move(a)), b(std::move(b)) {}
  double eval(const double *x) const override { return a->eval(x) + b->eval(x); }
};
struct Mul : Expr {
  P a, b;
  Mul(P a, P b) : a(std::move(a)), b(std::move(b)) {}
  double eval(const double *x) const override { return a->eval(x) * b->eval(x); }
};
struct Sin : Expr {
  P a;
  explicit Sin(P a) : a(std::move(a)) {}
  double eval(const double *x) const override { return std::sin(a->eval(x)); }
};
struct Exp : Expr {
  P a;
  explicit Exp(P a) : a(std::move(a)) {}
  double eval(const double *x) const override { return std::exp(0.5 * a->eval(x)); }
};

// A tree of depth d over n variables; shapes from a seed.
__attribute__((noinline)) P build(unsigned seed, int d, int n) {
  seed = seed * 1103515245u + 12345u;
  unsigned k = (seed >> 16) % 6;
  if (d == 0 || k == 0)
    return (seed >> 8) % 4 ? P(new Var((int)((seed >> 4) % n))) : P(new Num(0.5 + (seed % 7)));
  if (k == 1 || k == 2)
    return P(new Add(build(seed ^ 1u, d - 1, n), build(seed ^ 2u, d - 1, n)));
  if (k == 3)
    return P(new Mul(build(seed ^ 3u, d - 1, n), build(seed ^ 4u, d - 1, n)));
  if (k == 4)
    return P(new Sin(build(seed ^ 5u, d - 1, n)));
  return P(new Exp(build(seed ^ 6u, d - 1, n)));
}

__attribute__((noinline)) double value(const Expr *e, const double *x) { return e->eval(x); }

static const Expr *tree_g;
static double value_c(const double *x, const void *) { return value(tree_g, x); }

int main(int argc, char **argv) {
  (void)argv;
  const int n = 4;
  double x[n] = {0.3, -0.8, 0.55, 1.1};
  for (unsigned seed = 1; seed < 4; seed++) {
    P t = build(seed * 7919u + (unsigned)argc, 5, n);
    tree_g = t.get();
    double dx[n] = {0};
    __enzyme_autodiff((void *)value, enzyme_const, t.get(), enzyme_dup, x, dx);
    CHECK_GRAD_FD("reverse through a virtual expression tree", value_c, nullptr, x, n, dx,
                  RTOL_FD, ATOL_FD);
    for (int i = 0; i < n; i++) {
      double d[n] = {0};
      d[i] = 1;
      double f = __enzyme_fwddiff((void *)value, enzyme_const, t.get(), enzyme_dup, x, d);
      CHECK_CLOSE("forward vs reverse", f, dx[i], RTOL_D, ATOL_D);
    }
    double sx[n] = {0};
    void *tape = __enzyme_augmentfwd((void *)value, enzyme_const, t.get(), enzyme_dup, x, sx);
    __enzyme_reverse((void *)value, enzyme_const, t.get(), enzyme_dup, x, sx, 0.5, tape);
    for (int i = 0; i < n; i++)
      CHECK_CLOSE("split (seed 0.5) vs reverse", sx[i], 0.5 * dx[i], RTOL_D, ATOL_D);
  }
  return check_report();
}
