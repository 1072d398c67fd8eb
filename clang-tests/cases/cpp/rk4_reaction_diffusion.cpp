// CFLAGS: -std=c++17
// issue 19's RK4 reaction-diffusion integrator in C++ (benches/src/rk4.cpp at a small size):
// std::vector state and scratch arrays reused every step, boundary selects
// `l = i > 0 ? u[i-1] : u[i]`, four stages, coefficients (diffusion, reaction) through memory;
// and the same time loop as an __enzyme_checkpoint_for whose regions are the state and the
// scratch arrays (snapshots every 3 steps, 10 steps: not a multiple). Oracles: central finite
// differences of the whole program (u0 and both coefficients), and the checkpointed gradient
// against the plain one.
#include "check.h"
#include <cmath>
#include <enzyme/checkpoint.h>
#include <vector>

extern "C" double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

static const double H = 0.05;

static inline void rhs(long n, const double *y, double d, double k, double *out) {
  for (long i = 0; i < n; i++) {
    double l = i > 0 ? y[i - 1] : y[i];
    double r = i < n - 1 ? y[i + 1] : y[i];
    out[i] = d * (l - 2 * y[i] + r) + k * y[i] * (1 - y[i]);
  }
}

static inline void rk4_step(long n, double *u, double *k1, double *k2, double *k3, double *k4,
                            double *tmp, double d, double k) {
  rhs(n, u, d, k, k1);
  for (long i = 0; i < n; i++)
    tmp[i] = u[i] + 0.5 * H * k1[i];
  rhs(n, tmp, d, k, k2);
  for (long i = 0; i < n; i++)
    tmp[i] = u[i] + 0.5 * H * k2[i];
  rhs(n, tmp, d, k, k3);
  for (long i = 0; i < n; i++)
    tmp[i] = u[i] + H * k3[i];
  rhs(n, tmp, d, k, k4);
  for (long i = 0; i < n; i++)
    u[i] += H / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
}

double plain(long n, long steps, const double *__restrict u0, const double *__restrict coef) {
  std::vector<double> u(u0, u0 + n), k1(n), k2(n), k3(n), k4(n), tmp(n);
  double d = coef[0], k = coef[1];
  for (long s = 0; s < steps; s++)
    rk4_step(n, u.data(), k1.data(), k2.data(), k3.data(), k4.data(), tmp.data(), d, k);
  double f = 0;
  for (long i = 0; i < n; i++)
    f += (u[i] - 0.5) * (u[i] - 0.5) * (1 + 0.1 * i);
  return f;
}

static void ckpt_step(int64_t, double *u, double *k1, double *k2, double *k3, double *k4,
                      double *tmp, const double *coef, long n) {
  rk4_step(n, u, k1, k2, k3, k4, tmp, coef[0], coef[1]);
}

double checkpointed(long n, long steps, const double *__restrict u0,
                    const double *__restrict coef, EnzymeCkptConfig *config) {
  std::vector<double> u(u0, u0 + n), k1(n), k2(n), k3(n), k4(n), tmp(n);
  size_t b = n * sizeof(double);
  __enzyme_checkpoint_for((void *)ckpt_step, 0, steps, enzyme_scheme, &EnzymeCkptPeriodic, config,
                          enzyme_checkpoint_region, u.data(), b, enzyme_checkpoint_region,
                          k1.data(), b, enzyme_checkpoint_region, k2.data(), b,
                          enzyme_checkpoint_region, k3.data(), b, enzyme_checkpoint_region,
                          k4.data(), b, enzyme_checkpoint_region, tmp.data(), b, u.data(),
                          k1.data(), k2.data(), k3.data(), k4.data(), tmp.data(), coef, n);
  double f = 0;
  for (long i = 0; i < n; i++)
    f += (u[i] - 0.5) * (u[i] - 0.5) * (1 + 0.1 * i);
  return f;
}

#define N 9
#define STEPS 10

// x = (u0[N], d, k)
static double packed(const double *x, const void *) { return plain(N, STEPS, x, x + N); }

int main() {
  double x[N + 2];
  for (int i = 0; i < N; i++)
    x[i] = 0.2 + 0.6 * std::sin(0.7 * i) * std::sin(0.7 * i);
  x[N] = 0.4;
  x[N + 1] = 0.5;
  double g[N + 2] = {0};
  __enzyme_autodiff((void *)plain, enzyme_const, (long)N, enzyme_const, (long)STEPS, enzyme_dup,
                    x, g, enzyme_dup, x + N, g + N);
  CHECK_GRAD_FD("RK4 gradient vs finite differences", packed, nullptr, x, N + 2, g, RTOL_FD,
                ATOL_FD);
  EnzymeCkptStats stats;
  EnzymeCkptConfig config = {4, 0, nullptr, 0, &stats}; // segments of ceil(10 / 4) = 3 steps
  double gc[N + 2] = {0};
  __enzyme_autodiff((void *)checkpointed, enzyme_const, (long)N, enzyme_const, (long)STEPS,
                    enzyme_dup, x, gc, enzyme_dup, x + N, gc + N, enzyme_const, &config);
  CHECK_GRAD_FD("checkpointed RK4 vs finite differences", packed, nullptr, x, N + 2, gc, RTOL_FD,
                ATOL_FD);
  CHECK_ARRAY_CLOSE("checkpointed = plain", gc, g, N + 2, 1e-12, 1e-14);
  CHECK_TRUE("4 snapshots", stats.stores == 4 && stats.restores == 4 && stats.taped_steps == STEPS);
  return check_report();
}
