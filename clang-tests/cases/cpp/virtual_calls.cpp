// Virtual calls on the differentiated path: the call goes through the
// vtable at run time, so ferment dispatches over the module's overriders.
// Constant objects (enzyme_const) and duplicated objects whose members are
// active, in reverse and forward mode, in a loop over a polymorphic array.
// Oracles: analytic derivatives and central finite differences.
#include "check.h"
#include <cmath>
#include <vector>

extern double __enzyme_autodiff(void *, ...);
extern double __enzyme_fwddiff(void *, ...);

struct Term {
  virtual double eval(double x) const = 0;
  virtual ~Term() {}
};
struct Quad : Term {
  double a;
  explicit Quad(double a) : a(a) {}
  double eval(double x) const override { return a * x * x; }
};
struct Wave : Term {
  double w;
  explicit Wave(double w) : w(w) {}
  double eval(double x) const override { return std::sin(w * x); }
};
struct Expo : Term {
  double eval(double x) const override { return std::exp(0.5 * x); }
};

__attribute__((noinline)) double one(const Term *t, double x) { return t->eval(x) + 1.0; }

// A sum over terms chosen at run time; each evaluated twice (the tape keeps
// the branch taken per iteration).
__attribute__((noinline)) double total(Term *const *terms, int n, double x) {
  double s = 0;
  for (int i = 0; i < n; i++)
    s += terms[i]->eval(x) * terms[(i + 1) % n]->eval(x);
  return s;
}

// Member data active: d/da of Quad::eval through the object's shadow.
__attribute__((noinline)) double member(Quad *q, double x) {
  const Term *t = q;
  return t->eval(x) * x;
}

static Term *terms_g[4];
static int n_g = 4;
static double total_x(double x) { return total(terms_g, n_g, x); }

int main(int argc, char **argv) {
  (void)argv;
  Quad q(3.0);
  Wave w(2.0);
  Expo e;
  const Term *which[3] = {&q, &w, &e};
  for (int k = 0; k < 3; k++) {
    const Term *t = which[(k + argc - 1) % 3];
    double x = 0.7;
    double d = __enzyme_autodiff((void *)one, enzyme_const, t, x);
    double want = t == &q ? 6.0 * x : t == &w ? 2.0 * std::cos(2.0 * x) : 0.5 * std::exp(0.5 * x);
    CHECK_CLOSE("reverse through a virtual call", d, want, RTOL_D, ATOL_D);
    double f = __enzyme_fwddiff((void *)one, enzyme_const, t, x, 1.0);
    CHECK_CLOSE("forward through a virtual call", f, want, RTOL_D, ATOL_D);
  }

  terms_g[0] = &q;
  terms_g[1] = &w;
  terms_g[2] = &e;
  terms_g[3] = &w;
  for (double x : {-0.4, 0.3, 1.1}) {
    double d = __enzyme_autodiff((void *)total, enzyme_const, terms_g, enzyme_const, n_g, x);
    CHECK_CLOSE_AT("reverse, loop over a polymorphic array", x, d, fd1(total_x, x), RTOL_FD,
                   ATOL_FD);
    double f = __enzyme_fwddiff((void *)total, enzyme_const, terms_g, enzyme_const, n_g, x, 1.0);
    CHECK_CLOSE_AT("forward, loop over a polymorphic array", x, f, fd1(total_x, x), RTOL_FD,
                   ATOL_FD);
  }

  Quad dq(0.0);
  double x = 1.3;
  double dx = __enzyme_autodiff((void *)member, enzyme_dup, &q, &dq, x);
  CHECK_CLOSE("d/dx through a duplicated object", dx, 3.0 * 3.0 * x * x, RTOL_D, ATOL_D);
  CHECK_CLOSE("d/da into the object's shadow", dq.a, x * x * x, RTOL_D, ATOL_D);
  Quad tq(1.0);
  double t = __enzyme_fwddiff((void *)member, enzyme_dup, &q, &tq, x, 0.0);
  CHECK_CLOSE("forward d/da", t, x * x * x, RTOL_D, ATOL_D);
  return check_report();
}
