// An ODE toolkit in modern C++ as users write it: an RK4 integrator taking the right-hand side
// as a std::function<void(double, const State&, State&)>, State = std::array<double, 4>, the
// model built by a factory returning a lambda that captures the parameter struct by reference
// (active data behind a capture), an observer lambda accumulating a running cost through a
// captured reference, and a driver templated on the stepper. The user differentiates a
// predator-prey (Lotka-Volterra with harvesting) cost with respect to the parameters and the
// initial populations, reverse and forward.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <array>
#include <cmath>
#include <functional>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

using State = std::array<double, 4>;
using Rhs = std::function<void(double, const State &, State &)>;

struct Params {
  double alpha, beta, gamma, delta, harvest, season;
};

static Rhs make_model(const Params &p) {
  return [&p](double t, const State &y, State &dy) {
    double h = p.harvest * (1.0 + 0.5 * std::sin(p.season * t));
    dy[0] = p.alpha * y[0] - p.beta * y[0] * y[1] - h * y[0];
    dy[1] = p.delta * y[0] * y[1] - p.gamma * y[1];
    dy[2] = h * y[0];                         // cumulative harvest
    dy[3] = (y[1] > 1.0 ? y[1] - 1.0 : 0.0);  // predator excess (a kink, away from the path)
  };
}

struct Rk4 {
  template <class F> void step(F &f, double t, State &y, double h) const {
    State k1, k2, k3, k4, tmp;
    f(t, y, k1);
    for (int i = 0; i < 4; i++) tmp[i] = y[i] + 0.5 * h * k1[i];
    f(t + 0.5 * h, tmp, k2);
    for (int i = 0; i < 4; i++) tmp[i] = y[i] + 0.5 * h * k2[i];
    f(t + 0.5 * h, tmp, k3);
    for (int i = 0; i < 4; i++) tmp[i] = y[i] + h * k3[i];
    f(t + h, tmp, k4);
    for (int i = 0; i < 4; i++) y[i] += h / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  }
};

template <class Stepper>
static void integrate(const Stepper &st, Rhs &f, State &y, double t1, int n,
                      const std::function<void(double, const State &)> &observe) {
  double h = t1 / n;
  for (int i = 0; i < n; i++) {
    st.step(f, i * h, y, h);
    observe((i + 1) * h, y);
  }
}

double cost(const Params *p, const double *y0) {
  Rhs f = make_model(*p);
  State y{y0[0], y0[1], 0.0, 0.0};
  double running = 0.0;
  auto obs = [&running](double t, const State &s) { running += 0.01 * (s[0] - 1.5) * (s[0] - 1.5) * std::exp(-0.1 * t); };
  integrate(Rk4{}, f, y, 6.0, 120, obs);
  return -y[2] + running + 0.5 * y[3];
}

int main() {
  Params p{1.1, 0.4, 0.4, 0.1, 0.15, 2.0};
  double y0[2] = {10.0 / 4, 1.0 / 2};
  Params dp{};
  double dy0[2] = {0, 0};
  __enzyme_autodiff((void *)cost, enzyme_dup, &p, &dp, enzyme_dup, y0, dy0);
#define COST cost(&p, y0)
  CHECK_CLOSE("dalpha", dp.alpha, FD_AT(p.alpha, 1e-6, COST), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("dbeta", dp.beta, FD_AT(p.beta, 1e-6, COST), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("dgamma", dp.gamma, FD_AT(p.gamma, 1e-6, COST), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("ddelta", dp.delta, FD_AT(p.delta, 1e-6, COST), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("dharvest", dp.harvest, FD_AT(p.harvest, 1e-6, COST), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("dseason", dp.season, FD_AT(p.season, 1e-6, COST), RTOL_FD, ATOL_FD);
  CHECK_ARRAY_FD("dy0", y0, 2, dy0, 1e-6, COST, RTOL_FD, ATOL_FD);
  Params tp{0.1, -0.2, 0.3, 0.05, 1.0, 0.0};
  double ty[2] = {0.5, -1.0};
  double t = __enzyme_fwddiff((void *)cost, enzyme_dup, &p, &tp, enzyme_dup, y0, ty);
  double want = 0.1 * dp.alpha - 0.2 * dp.beta + 0.3 * dp.gamma + 0.05 * dp.delta + dp.harvest + 0.5 * dy0[0] - dy0[1];
  CHECK_CLOSE("forward vs reverse", t, want, 1e-10, 1e-12);
  return check_report();
}
