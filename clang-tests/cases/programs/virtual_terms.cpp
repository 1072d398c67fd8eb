// Virtual calls through a vector of base-class pointers, objects allocated with new inside and
// outside the differentiated function; parameters read from the objects' double fields.
// Written as a new user's Enzyme program (session 36). Oracle: central differences (and forward vs reverse, analytic where noted).
#include "check.h"
#include <memory>
#include <vector>
extern "C" { extern int enzyme_dup, enzyme_const, enzyme_out; }
template <typename R, typename... A> R __enzyme_autodiff(void *, A...);
template <typename R, typename... A> R __enzyme_fwddiff(void *, A...);

struct Term {
  virtual ~Term() {}
  virtual double eval(double x) const = 0;
};
struct Poly : Term {
  double a, b;
  Poly(double a, double b) : a(a), b(b) {}
  double eval(double x) const override { return a * x * x + b * x; }
};
struct Wave : Term {
  double amp, freq;
  Wave(double a, double f) : amp(a), freq(f) {}
  double eval(double x) const override { return amp * sin(freq * x); }
};
struct Model {
  std::vector<Term *> terms;
  double sum(double x) const {
    double s = 0;
    for (auto *t : terms) s += t->eval(x);
    return s;
  }
};
__attribute__((noinline)) double f(const Model *m, double x) { return m->sum(x) * m->sum(x * 0.5); }

double fx(double x, const Model *m) { return f(m, x); }
static Model *gm;
static double fxg(double x) { return f(gm, x); }

int main() {
  Model m;
  m.terms.push_back(new Poly(1.5, -0.5));
  m.terms.push_back(new Wave(0.8, 2.0));
  m.terms.push_back(new Poly(-0.2, 0.1));
  gm = &m;
  for (double x : {0.3, 1.1, -0.7}) {
    double g = __enzyme_autodiff<double>((void *)fx, x, enzyme_const, (const Model *)&m);
    CHECK_CLOSE_AT("dx reverse (model const)", x, g, fd1(fxg, x), RTOL_FD, ATOL_FD);
    double t = __enzyme_fwddiff<double>((void *)fx, x, 1.0, enzyme_const, (const Model *)&m);
    CHECK_CLOSE_AT("dx forward", x, t, fd1(fxg, x), RTOL_FD, ATOL_FD);
  }
  // shadow model: shadow objects of the same dynamic type, params active
  Model dm;
  Poly dp1(0, 0), dp3(0, 0);
  Wave dw(0, 0);
  dm.terms = {&dp1, &dw, &dp3};
  double x = 0.9;
  double dxx = __enzyme_autodiff<double>((void *)f, enzyme_dup, (const Model *)&m, (const Model *)&dm, x);
  CHECK_CLOSE("dx dup", dxx, fd1(fxg, x), RTOL_FD, ATOL_FD);
  Poly *p1 = (Poly *)m.terms[0];
  Wave *w = (Wave *)m.terms[1];
  CHECK_CLOSE("d a", dp1.a, FD_AT(p1->a, 1e-6, f(&m, x)), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("d b", dp1.b, FD_AT(p1->b, 1e-6, f(&m, x)), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("d amp", dw.amp, FD_AT(w->amp, 1e-6, f(&m, x)), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("d freq", dw.freq, FD_AT(w->freq, 1e-6, f(&m, x)), RTOL_FD, ATOL_FD);
  for (auto *t : m.terms) delete t;
  return check_report();
}
