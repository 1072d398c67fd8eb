// Nested differentiation in C++ templates: a generic gradient helper template instantiated for
// several functors, a Newton optimizer that calls it inside a function that is itself
// differentiated (sensitivity of the optimum w.r.t. a parameter), and forward over reverse.
// Written as a new user's Enzyme program (session 36). Oracle: central differences (and forward vs reverse, analytic where noted).
#include "check.h"
#include <array>
extern "C" { extern int enzyme_dup, enzyme_const, enzyme_out, enzyme_dupnoneed; }
template <typename R, typename... A> R __enzyme_autodiff(void *, A...);
template <typename R, typename... A> R __enzyme_fwddiff(void *, A...);

template <int N> struct Quartic {
  static double value(const double *x, double p) {
    double s = 0;
    for (int i = 0; i < N; i++) s += 0.25 * x[i] * x[i] * x[i] * x[i] + 0.5 * (1 + p) * x[i] * x[i] - p * (i + 1) * x[i];
    return s;
  }
};
template <typename F, int N> void gradient(const double *x, double p, double *g) {
  for (int i = 0; i < N; i++) g[i] = 0;
  __enzyme_autodiff<void>((void *)F::value, enzyme_dup, x, g, enzyme_const, p);
}
/* d/dp of the gradient, by forward over reverse */
template <typename F, int N> void dgrad_dp(const double *x, double p, double *out) {
  double g[N];
  __enzyme_fwddiff<void>((void *)gradient<F, N>, enzyme_const, x, p, 1.0, enzyme_dupnoneed, g, out);
}
/* a few Newton steps on the separable problem (diagonal Hessian: 3 x^2 + 1 + p) */
template <typename F, int N> double solve_and_measure(double p) {
  std::array<double, N> x{};
  for (int i = 0; i < N; i++) x[i] = 1.0;
  for (int it = 0; it < 30; it++) {
    double g[N];
    gradient<F, N>(x.data(), p, g);
    for (int i = 0; i < N; i++) x[i] -= g[i] / (3 * x[i] * x[i] + 1 + p);
  }
  double m = 0;
  for (int i = 0; i < N; i++) m += x[i] * x[i];
  return m;
}
int main() {
  const int N = 3;
  double x[N] = {0.4, -0.3, 1.2}, p = 0.7, g[N];
  gradient<Quartic<N>, N>(x, p, g);
  for (int i = 0; i < N; i++)
    CHECK_CLOSE("gradient", g[i], x[i] * x[i] * x[i] + (1 + p) * x[i] - p * (i + 1), 1e-12, 1e-14);
  double d[N];
  dgrad_dp<Quartic<N>, N>(x, p, d);
  for (int i = 0; i < N; i++) CHECK_CLOSE("d grad / dp", d[i], x[i] - (i + 1), 1e-12, 1e-14);
  double s = __enzyme_autodiff<double>((void *)solve_and_measure<Quartic<N>, N>, p);
  double h = 1e-6;
  double want = (solve_and_measure<Quartic<N>, N>(p + h) - solve_and_measure<Quartic<N>, N>(p - h)) / (2 * h);
  CHECK_CLOSE("sensitivity of the optimum (reverse over reverse)", s, want, 1e-6, 1e-8);
  double sf = __enzyme_fwddiff<double>((void *)solve_and_measure<Quartic<N>, N>, p, 1.0);
  CHECK_CLOSE("sensitivity (forward over reverse)", sf, want, 1e-6, 1e-8);
  return check_report();
}
