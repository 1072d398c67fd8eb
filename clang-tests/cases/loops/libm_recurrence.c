// Loops that call libm, which ferment keeps from being runtime-unrolled (the call hides the loop
// overhead unrolling saves; see clang-tests/tests/derivative_size.rs): a scalar recurrence
// s = exp(-s) * x[i] (the loop cannot be vectorized either), a reduction of log terms, and a
// loop of pow calls, at trip counts around and across the host's unroll factors (0..19, 37, 64).
// Oracles: the recurrence's adjoint written by hand (ds_{k+1}/dx_k = exp(-s_k),
// ds_{k+1}/ds_k = -s_{k+1}), analytic partials of the others, and central finite differences.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);

static int N;

double decay(const double *x, int n) {
  double s = 0.25;
  for (int i = 0; i < n; i++)
    s = exp(-s) * x[i];
  return s;
}

double logsum(const double *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++)
    s += log(1.0 + x[i] * x[i]) * (i + 1);
  return s;
}

double powsum(const double *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++)
    s += pow(x[i], 1.5 + 0.25 * (i % 3));
  return s;
}

static double decay_n(const double *x) { return decay(x, N); }
static double logsum_n(const double *x) { return logsum(x, N); }
static double powsum_n(const double *x) { return powsum(x, N); }

int main(void) {
  static const int ns[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 16, 17, 19, 37, 64};
  for (unsigned t = 0; t < COUNT_OF(ns); t++) {
    int n = ns[t];
    N = n;
    double x[64], dx[64], s[65], want[64];
    for (int i = 0; i < n; i++)
      x[i] = 0.6 + 0.4 * sin(1.3 * i + 0.2);

    // decay: hand-written adjoint as the oracle.
    s[0] = 0.25;
    for (int i = 0; i < n; i++)
      s[i + 1] = exp(-s[i]) * x[i];
    double a = 1.0;
    for (int i = n - 1; i >= 0; i--) {
      want[i] = a * exp(-s[i]);
      a *= -s[i + 1];
    }
    for (int i = 0; i < n; i++)
      dx[i] = 0;
    __enzyme_autodiff((void *)decay, enzyme_dup, x, dx, enzyme_const, n);
    for (int i = 0; i < n; i++) {
      CHECK_CLOSE_AT("decay reverse vs hand adjoint", i, dx[i], want[i], 1e-12, 1e-14);
      if (n <= 19 || i % 9 == 0)
        CHECK_CLOSE_AT("decay oracle: finite differences", i, want[i], fdv(decay_n, x, n, i), 1e-6,
                       1e-8);
    }

    for (int i = 0; i < n; i++)
      dx[i] = 0;
    __enzyme_autodiff((void *)logsum, enzyme_dup, x, dx, enzyme_const, n);
    for (int i = 0; i < n; i++) {
      double w = 2.0 * x[i] / (1.0 + x[i] * x[i]) * (i + 1);
      CHECK_CLOSE_AT("logsum reverse vs analytic", i, dx[i], w, 1e-12, 1e-14);
      if (i % 5 == 0)
        CHECK_CLOSE_AT("logsum oracle: finite differences", i, w, fdv(logsum_n, x, n, i), 1e-6,
                       1e-8);
    }

    for (int i = 0; i < n; i++)
      dx[i] = 0;
    __enzyme_autodiff((void *)powsum, enzyme_dup, x, dx, enzyme_const, n);
    for (int i = 0; i < n; i++) {
      double p = 1.5 + 0.25 * (i % 3);
      double w = p * pow(x[i], p - 1.0);
      CHECK_CLOSE_AT("powsum reverse vs analytic", i, dx[i], w, 1e-12, 1e-14);
      if (i % 5 == 0)
        CHECK_CLOSE_AT("powsum oracle: finite differences", i, w, fdv(powsum_n, x, n, i), 1e-6,
                       1e-8);
    }
  }
  return check_report();
}
