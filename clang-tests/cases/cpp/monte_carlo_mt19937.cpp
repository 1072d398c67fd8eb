// CFLAGS: -std=c++17
// A sampled objective as people write it for Enzyme: the expected loss of a model under input
// noise, estimated with common random numbers (a std::mt19937 seeded inside the function, a
// std::normal_distribution<double> whose Box-Muller pair caches its second value as a double
// member, a std::uniform_real_distribution<double> for dropout), samples kept in a std::vector,
// the mean by std::accumulate, and the wall time of the loop taken with std::chrono around it.
// The generator and distributions carry no derivative (their state is integers and constant
// doubles); the samples are constants added to active values. Oracles: central finite
// differences of every parameter (the same seed gives the same samples), forward vs reverse.
#include "check.h"
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static double elapsed_us = 0.0;

static double expected_loss(const double *w, int n) {
  auto start = std::chrono::steady_clock::now();
  std::mt19937 gen(1234u);
  std::normal_distribution<double> noise(0.0, 0.3);
  std::uniform_real_distribution<double> keep(0.0, 1.0);
  std::vector<double> losses;
  losses.reserve(64);
  for (int s = 0; s < 64; s++) {
    double y = 0.0;
    for (int i = 0; i < n; i++) {
      double xi = 0.2 * (i + 1) + noise(gen);
      double wi = keep(gen) < 0.8 ? w[i] / 0.8 : 0.0;
      y += wi * xi;
    }
    double target = 1.0 + 0.5 * std::sin(0.1 * s);
    losses.push_back((std::tanh(y) - target) * (std::tanh(y) - target));
  }
  double mean = std::accumulate(losses.begin(), losses.end(), 0.0) / losses.size();
  elapsed_us += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                    .count();
  return mean;
}

int main() {
  const int n = 5;
  double w[n] = {0.3, -0.2, 0.5, 0.1, -0.4}, dw[n] = {0}, t[n] = {1.0, 0.5, -0.3, 0.2, 0.7};
  __enzyme_autodiff((void *)expected_loss, enzyme_dup, w, dw, enzyme_const, n);
  CHECK_ARRAY_FD("reverse", w, n, dw, 1e-6, expected_loss(w, n), RTOL_FD, ATOL_FD);
  double fw = __enzyme_fwddiff((void *)expected_loss, enzyme_dup, w, t, enzyme_const, n);
  CHECK_CLOSE("forward vs reverse", fw, dotv(dw, t, n), RTOL_D, ATOL_D);
  CHECK_TRUE("timed", elapsed_us >= 0.0);
  return check_report();
}
