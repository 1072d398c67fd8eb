// Hessian-vector products of a class method by forward mode over reverse mode, the way C++
// users of Enzyme write Newton-CG: a class `Rosenbrock` with members (scale, a std::vector of
// weights) whose `value` method is wrapped by a static function; a function template `gradient`
// calls __enzyme_autodiff (nested differentiation inside the function __enzyme_fwddiff
// differentiates), and `hvp` calls __enzyme_fwddiff on that template's instance. A second
// template instance differentiates through a member-function-pointer trampoline. Oracles:
// analytic gradient and Hessian, and finite differences of the gradient.
// CFLAGS: -std=c++17
#include "check.h"
#include <cstring>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" void __enzyme_fwddiff(void *, ...);

class Rosenbrock {
public:
  Rosenbrock(double a, double b, int n) : a_(a), b_(b), w_(n, 1.0) {
    for (int i = 0; i < n; i++) w_[i] = 1.0 + 0.25 * i;
  }
  double value(const double *x, int n) const {
    double s = 0;
    for (int i = 0; i + 1 < n; i++) {
      double t = a_ - x[i];
      double u = x[i + 1] - x[i] * x[i];
      s += w_[i] * (t * t + b_ * u * u);
    }
    return s;
  }
  double a_, b_;
  std::vector<double> w_;
};

static double rosen_value(const Rosenbrock *r, const double *x, int n) { return r->value(x, n); }

template <class Obj, double (*F)(const Obj *, const double *, int)>
static void gradient(const Obj *o, const double *x, double *g, int n) {
  for (int i = 0; i < n; i++) g[i] = 0;
  __enzyme_autodiff((void *)F, enzyme_const, o, enzyme_dup, x, g, enzyme_const, n);
}

template <class Obj, double (*F)(const Obj *, const double *, int)>
static void hvp(const Obj *o, const double *x, const double *v, double *hv, int n) {
  std::vector<double> g(n), dg(n);
  __enzyme_fwddiff((void *)gradient<Obj, F>, enzyme_const, o, enzyme_dup, x, v, enzyme_dup,
                   g.data(), dg.data(), enzyme_const, n);
  for (int i = 0; i < n; i++) hv[i] = dg[i];
}

// The same through a member-function pointer bound at compile time.
template <class Obj, double (Obj::*M)(const double *, int) const>
static double call_member(const Obj *o, const double *x, int n) { return (o->*M)(x, n); }

static void analytic(const Rosenbrock &r, const double *x, int n, double *g, double *H) {
  for (int i = 0; i < n; i++) g[i] = 0;
  for (int i = 0; i < n * n; i++) H[i] = 0;
  for (int i = 0; i + 1 < n; i++) {
    double w = r.w_[i], b = r.b_;
    double t = r.a_ - x[i], u = x[i + 1] - x[i] * x[i];
    g[i] += w * (-2 * t - 4 * b * u * x[i]);
    g[i + 1] += w * (2 * b * u);
    H[i * n + i] += w * (2 - 4 * b * u + 8 * b * x[i] * x[i]);
    H[i * n + i + 1] += w * (-4 * b * x[i]);
    H[(i + 1) * n + i] += w * (-4 * b * x[i]);
    H[(i + 1) * n + i + 1] += w * (2 * b);
  }
}

int main() {
  const int n = 5;
  Rosenbrock r(1.0, 10.0, n);
  double x[n] = {0.3, -0.4, 1.2, 0.8, -1.1};
  double v[n] = {1.0, -0.5, 0.25, 2.0, 0.75};
  double g[n], H[n * n], hv[n], hv2[n], ga[n], gp[n], gm[n];
  analytic(r, x, n, ga, H);
  gradient<Rosenbrock, rosen_value>(&r, x, g, n);
  for (int i = 0; i < n; i++) CHECK_CLOSE("gradient", g[i], ga[i], RTOL_D, ATOL_D);
  hvp<Rosenbrock, rosen_value>(&r, x, v, hv, n);
  hvp<Rosenbrock, call_member<Rosenbrock, &Rosenbrock::value>>(&r, x, v, hv2, n);
  const double h = 1e-6;
  for (int i = 0; i < n; i++) {
    double want = 0;
    for (int j = 0; j < n; j++) want += H[i * n + j] * v[j];
    CHECK_CLOSE("hvp", hv[i], want, RTOL_D, 1e-10);
    CHECK_CLOSE("hvp through member pointer", hv2[i], want, RTOL_D, 1e-10);
  }
  // oracle check of the analytic Hessian: finite differences of the analytic gradient along v
  double xp[n], xm[n];
  for (int j = 0; j < n; j++) xp[j] = x[j] + h * v[j], xm[j] = x[j] - h * v[j];
  double Hd[n * n];
  analytic(r, xp, n, gp, Hd);
  analytic(r, xm, n, gm, Hd);
  for (int i = 0; i < n; i++)
    CHECK_CLOSE("oracle: H v vs finite differences", hv[i], (gp[i] - gm[i]) / (2 * h), RTOL_FD, 1e-6);
  return check_report();
}
