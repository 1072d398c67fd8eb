// CFLAGS: -std=c++17
// A templated fixed-step RK4 integrator over std::array<double, N> states with arithmetic
// operators defined as templates, called with lambdas that capture the model parameters by
// reference (one) and by value (another); the loss is a function of the final state. Reverse
// mode with respect to the parameters and the initial state (one buffer), forward mode along
// each coordinate. Oracles: central finite differences of the primal (both modes).
#include "check.h"
#include <array>
#include <cmath>
#include <cstddef>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

template <std::size_t N>
std::array<double, N> operator+(const std::array<double, N> &a, const std::array<double, N> &b) {
  std::array<double, N> r;
  for (std::size_t i = 0; i < N; i++)
    r[i] = a[i] + b[i];
  return r;
}
template <std::size_t N> std::array<double, N> operator*(double s, const std::array<double, N> &a) {
  std::array<double, N> r;
  for (std::size_t i = 0; i < N; i++)
    r[i] = s * a[i];
  return r;
}

template <std::size_t N, class F>
std::array<double, N> rk4(F &&f, std::array<double, N> y, double t, double h, int steps) {
  for (int s = 0; s < steps; s++) {
    auto k1 = f(t, y);
    auto k2 = f(t + h / 2, y + (h / 2) * k1);
    auto k3 = f(t + h / 2, y + (h / 2) * k2);
    auto k4 = f(t + h, y + h * k3);
    y = y + (h / 6) * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
    t += h;
  }
  return y;
}

// p = {k, c, x0, v0}: a damped, driven oscillator.
static double oscillator(const double *p, int steps) {
  const double k = p[0], c = p[1];
  auto rhs = [&](double t, const std::array<double, 2> &y) {
    return std::array<double, 2>{y[1], -k * y[0] - c * y[1] + std::sin(t)};
  };
  auto y = rk4(rhs, std::array<double, 2>{p[2], p[3]}, 0.0, 0.05, steps);
  return y[0] * y[0] + 0.5 * y[1] * y[1];
}

// p = {a, b, g, d, x0, y0}: Lotka-Volterra with by-value captures and a 3-state template use.
static double predator_prey(const double *p, int steps) {
  const double a = p[0], b = p[1], g = p[2], d = p[3];
  auto rhs = [a, b, g, d](double, const std::array<double, 3> &y) {
    return std::array<double, 3>{a * y[0] - b * y[0] * y[1], d * y[0] * y[1] - g * y[1],
                                 y[0] * y[1]};
  };
  auto y = rk4(rhs, std::array<double, 3>{p[4], p[5], 0.0}, 0.0, 0.02, steps);
  return std::log(y[0]) + y[1] + 0.1 * y[2];
}

typedef double (*model_fn)(const double *, int);
static void check_model(const char *name, model_fn f, double *p, int np, int steps) {
  double dp[8] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, p, dp, enzyme_const, steps);
  CHECK_ARRAY_FD(name, p, np, dp, 1e-6, f(p, steps), RTOL_FD, ATOL_FD);
  for (int i = 0; i < np; i++) {
    double t[8] = {0};
    t[i] = 1;
    double fw = __enzyme_fwddiff((void *)f, enzyme_dup, p, t, enzyme_const, steps);
    CHECK_CLOSE(name, fw, FD_AT(p[i], 1e-6, f(p, steps)), RTOL_FD, ATOL_FD);
  }
}

int main() {
  double po[4] = {2.0, 0.3, 1.0, -0.5};
  double pp[6] = {1.1, 0.4, 0.9, 0.3, 1.5, 0.8};
  for (int steps = 1; steps <= 40; steps += 13) {
    check_model("oscillator", oscillator, po, 4, steps);
    check_model("predator_prey", predator_prey, pp, 6, steps);
  }
  return check_report();
}
