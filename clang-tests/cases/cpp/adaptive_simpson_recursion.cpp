// Recursive adaptive Simpson quadrature of a parametrized integrand, differentiated with respect
// to the parameters (reverse and forward): the recursion depth depends on the values (an error
// estimate compared with a tolerance), the integrand is a std::function-free functor template,
// and the intervals each recursion level sees are passed by value. The derivative of the
// computed quadrature (same subdivision) is compared with finite differences of the quadrature
// and with the analytic derivative of the exact integral (loose tolerance).
// CFLAGS: -std=c++17
#include "check.h"

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Gauss {
  double a, b;
  double operator()(double x) const { return a * exp(-b * x * x); }
};

template <class F>
static double simpson(const F &f, double l, double r, double fl, double fm, double fr) {
  return (r - l) / 6 * (fl + 4 * fm + fr);
}

template <class F>
static double adapt(const F &f, double l, double r, double fl, double fm, double fr, double whole,
                    double tol, int depth) {
  double m = 0.5 * (l + r);
  double lm = 0.5 * (l + m), rm = 0.5 * (m + r);
  double flm = f(lm), frm = f(rm);
  double left = simpson(f, l, m, fl, flm, fm), right = simpson(f, m, r, fm, frm, fr);
  double diff = left + right - whole;
  if (depth <= 0 || fabs(diff) <= 15 * tol) return left + right + diff / 15;
  return adapt(f, l, m, fl, flm, fm, left, tol / 2, depth - 1) +
         adapt(f, m, r, fm, frm, fr, right, tol / 2, depth - 1);
}

static double integral(double a, double b) {
  Gauss g{a, b};
  double l = -1.0, r = 2.0;
  double fl = g(l), fm = g(0.5 * (l + r)), fr = g(r);
  return adapt(g, l, r, fl, fm, fr, simpson(g, l, r, fl, fm, fr), 1e-9, 30);
}

static double in_a(double a) { return integral(a, 0.7); }
static double in_b(double b) { return integral(1.3, b); }

struct G2 {
  double da, db;
};

int main() {
  const double a = 1.3, b = 0.7;
  typedef G2 (*grad_t)(void *, double, double);
  G2 g = ((grad_t)__enzyme_autodiff)((void *)integral, a, b);
  CHECK_CLOSE("reverse d/da vs finite differences", g.da, fd1(in_a, a), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("reverse d/db vs finite differences", g.db, fd1(in_b, b), 1e-5, 1e-7);
  // exact: d/da = I/a ; d/db = -a * int x^2 exp(-b x^2)
  double I = a * 0.5 * sqrt(M_PI / b) * (erf(sqrt(b) * 2.0) + erf(sqrt(b) * 1.0));
  CHECK_CLOSE("oracle: d/da vs exact integral", g.da, I / a, 1e-7, 1e-9);
  CHECK_CLOSE("forward d/da", __enzyme_fwddiff((void *)integral, a, 1.0, b, 0.0), g.da, RTOL_D,
              ATOL_D);
  CHECK_CLOSE("forward d/db", __enzyme_fwddiff((void *)integral, a, 0.0, b, 1.0), g.db, RTOL_D,
              ATOL_D);
  return check_report();
}
