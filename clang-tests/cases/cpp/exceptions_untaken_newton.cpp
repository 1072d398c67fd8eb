// CFLAGS: -std=c++17
// Exceptions thrown and caught inside the differentiated function on paths the inputs used here
// never take: a Newton solver that throws std::runtime_error when it does not converge (caught
// in the same function, falling back to bisection), a std::vector::at() that would throw
// std::out_of_range, a helper that throws a custom exception class carrying a double, caught by
// reference and rethrown by a nested try, and std::stod of a std::string built outside. Reverse
// mode; forward mode along each input. Oracles: the analytic derivative of the implicit
// solution (implicit function theorem) and central differences.
#include "check.h"
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct SolveError {
  double last;
  int iters;
};

// root of g(u) = u^3 + a u - b (a > 0: one real root)
static double newton(double a, double b, int max_it) {
  double u = b / (a + 1.0);
  for (int it = 0; it < max_it; it++) {
    double g = u * u * u + a * u - b;
    double dg = 3 * u * u + a;
    double step = g / dg;
    u -= step;
    if (std::fabs(step) < 1e-15 * (1 + std::fabs(u))) return u;
  }
  throw SolveError{u, max_it};
}

static double bisect(double a, double b) {
  double lo = -std::fabs(b) - 1, hi = std::fabs(b) + 1;
  for (int i = 0; i < 200; i++) {
    double m = 0.5 * (lo + hi);
    if (m * m * m + a * m - b > 0) hi = m; else lo = m;
  }
  return 0.5 * (lo + hi);
}

static double solve(double a, double b) {
  try {
    try {
      return newton(a, b, 60);
    } catch (SolveError &e) {
      if (e.iters > 1000) throw; // never: rethrown to the outer handler
      throw std::runtime_error("no convergence");
    }
  } catch (const std::exception &) {
    return bisect(a, b);
  }
}

static double f(const double *x, const std::vector<double> *coef) {
  double s = 0;
  for (size_t i = 0; i < 3; i++) {
    double c;
    try {
      c = coef->at(i + (x[0] > 100.0 ? 10 : 0)); // out of range only for x[0] > 100
    } catch (const std::out_of_range &) {
      c = 0.0;
    }
    s += c * solve(x[1] * x[1] + 0.5, x[2] + c * x[0]);
  }
  return s;
}
static double f_at(const double *x, const void *c) { return f(x, (const std::vector<double> *)c); }

int main() {
  std::string text = "0.75";
  std::vector<double> coef = {std::stod(text), -1.5, 2.0};
  double x[3] = {0.4, 0.9, -0.3}, dx[3] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, &coef);
  // implicit function: u(a, b) with u^3 + a u = b: du/db = 1 / (3u^2 + a), du/da = -u / (3u^2 + a)
  double want[3] = {0, 0, 0};
  for (int i = 0; i < 3; i++) {
    double c = coef[i], a = x[1] * x[1] + 0.5, b = x[2] + c * x[0];
    double u = bisect(a, b), den = 3 * u * u + a;
    want[0] += c * c / den;
    want[1] += c * (-u / den) * 2 * x[1];
    want[2] += c / den;
  }
  for (int i = 0; i < 3; i++) CHECK_CLOSE_AT("analytic", i, dx[i], want[i], 1e-9, 1e-11);
  CHECK_GRAD_FD("reverse", f_at, &coef, x, 3, dx, RTOL_FD, ATOL_FD);
  for (int k = 0; k < 3; k++) {
    double t[3] = {0, 0, 0};
    t[k] = 1;
    CHECK_CLOSE_AT("fwd vs rev", k, __enzyme_fwddiff((void *)f, enzyme_dup, x, t, enzyme_const, &coef), dx[k], RTOL_D, ATOL_D);
  }
  return check_report();
}
