// CFLAGS: -std=c++17
// Two templated numerical kernels differentiated with respect to their parameters:
// (1) an adaptive-step-free Dormand-Prince-style RK integrator templated on the state type
//     (`std::array<double, 3>` with operator overloads, and a `struct Pendulum { double th, om; }`
//     with its own operators), the right-hand side a functor holding the parameters;
// (2) a linear Kalman filter over std::array<std::array<double,2>,2> matrices whose negative log
//     likelihood of a measurement sequence is differentiated with respect to the process and
//     measurement noise and the transition parameter.
// Reverse and forward mode. Oracles: central differences; forward vs reverse.
#include "check.h"
#include <array>
#include <cmath>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

using V3 = std::array<double, 3>;
static V3 operator+(const V3 &a, const V3 &b) { return {a[0] + b[0], a[1] + b[1], a[2] + b[2]}; }
static V3 operator*(double s, const V3 &a) { return {s * a[0], s * a[1], s * a[2]}; }
struct Pendulum {
  double th, om;
};
static Pendulum operator+(const Pendulum &a, const Pendulum &b) { return {a.th + b.th, a.om + b.om}; }
static Pendulum operator*(double s, const Pendulum &a) { return {s * a.th, s * a.om}; }

template <class State, class Rhs> State integrate(State y, const Rhs &f, double dt, int steps) {
  for (int i = 0; i < steps; i++) {
    State k1 = f(y);
    State k2 = f(y + (dt / 5) * k1);
    State k3 = f(y + (3 * dt / 40) * k1 + (9 * dt / 40) * k2);
    State k4 = f(y + (44 * dt / 45) * k1 + (-56 * dt / 15) * k2 + (32 * dt / 9) * k3);
    y = y + (dt * 35 / 384) * k1 + (dt * 500 / 1113) * k3 + (dt * 125 / 192) * k4 + (dt * 0.05) * (k2 + (-1.0) * k2);
  }
  return y;
}

struct Lorenz {
  double s, r, b;
  V3 operator()(const V3 &y) const { return {s * (y[1] - y[0]), y[0] * (r - y[2]) - y[1], y[0] * y[1] - b * y[2]}; }
};
struct PendulumRhs {
  double g, damp;
  Pendulum operator()(const Pendulum &p) const { return {p.om, -g * std::sin(p.th) - damp * p.om}; }
};

static double ode_objective(const double *p) {
  V3 y = integrate(V3{1.0, 0.5, p[3]}, Lorenz{p[0], p[1], p[2]}, 0.01, 40);
  Pendulum q = integrate(Pendulum{p[3], 0.0}, PendulumRhs{9.81 * p[0] / 10, p[2]}, 0.02, 30);
  return y[0] * y[0] + y[1] * y[2] * 0.1 + q.th * q.om + std::cos(q.th);
}

using M2 = std::array<std::array<double, 2>, 2>;
static M2 mul(const M2 &a, const M2 &b) {
  M2 c{};
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++)
      for (int k = 0; k < 2; k++) c[i][j] += a[i][k] * b[k][j];
  return c;
}
static M2 transpose(const M2 &a) { return {{{a[0][0], a[1][0]}, {a[0][1], a[1][1]}}}; }

struct Measurements {
  std::array<double, 12> z;
};
// state (position, velocity); measures position; p = {q, r, a}: process noise, measurement noise, damping
static double kalman_nll(const double *p, const Measurements *m) {
  double dt = 0.1;
  M2 F{{{1.0, dt}, {0.0, p[2]}}};
  M2 Q{{{p[0] * dt * dt * dt / 3, p[0] * dt * dt / 2}, {p[0] * dt * dt / 2, p[0] * dt}}};
  std::array<double, 2> x{0.0, 0.0};
  M2 P{{{1.0, 0.0}, {0.0, 1.0}}};
  double nll = 0;
  for (double z : m->z) {
    x = {F[0][0] * x[0] + F[0][1] * x[1], F[1][0] * x[0] + F[1][1] * x[1]};
    M2 FP = mul(F, P), FPF = mul(FP, transpose(F));
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 2; j++) P[i][j] = FPF[i][j] + Q[i][j];
    double S = P[0][0] + p[1];
    double innov = z - x[0];
    nll += 0.5 * (std::log(2 * M_PI * S) + innov * innov / S);
    std::array<double, 2> K{P[0][0] / S, P[1][0] / S};
    x = {x[0] + K[0] * innov, x[1] + K[1] * innov};
    M2 Pn;
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 2; j++) Pn[i][j] = P[i][j] - K[i] * P[0][j];
    P = Pn;
  }
  return nll;
}
static double ode_at(const double *x, const void *) { return ode_objective(x); }
static double kalman_at(const double *x, const void *c) { return kalman_nll(x, (const Measurements *)c); }

int main() {
  double p[4] = {10.0, 28.0, 8.0 / 3.0, 0.3}, dp[4] = {0};
  __enzyme_autodiff((void *)ode_objective, enzyme_dup, p, dp);
  CHECK_GRAD_FD("ode reverse", ode_at, nullptr, p, 4, dp, 1e-5, 1e-7);
  for (int k = 0; k < 4; k++) {
    double t[4] = {0};
    t[k] = 1;
    CHECK_CLOSE_AT("ode fwd vs rev", k, __enzyme_fwddiff((void *)ode_objective, enzyme_dup, p, t), dp[k], 1e-9, 1e-11);
  }
  Measurements m;
  for (int i = 0; i < 12; i++) m.z[i] = 0.5 * std::sin(0.4 * i) + 0.05 * ((i * 7) % 5 - 2);
  double q[3] = {0.8, 0.05, 0.95}, dq[3] = {0};
  __enzyme_autodiff((void *)kalman_nll, enzyme_dup, q, dq, enzyme_const, &m);
  CHECK_GRAD_FD("kalman reverse", kalman_at, &m, q, 3, dq, RTOL_FD, ATOL_FD);
  for (int k = 0; k < 3; k++) {
    double t[3] = {0};
    t[k] = 1;
    CHECK_CLOSE_AT("kalman fwd vs rev", k, __enzyme_fwddiff((void *)kalman_nll, enzyme_dup, q, t, enzyme_const, &m), dq[k], RTOL_D, ATOL_D);
  }
  return check_report();
}
