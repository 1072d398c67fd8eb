// Reverse loops rotated behind a run-time range test (plain pointer parameters: alias analysis
// cannot separate the shadows), then vectorized, whose lane order lanes.rs rewrites: an RK4
// step with boundary selects, four stages through one scratch array. lanes.rs once visited
// its lane groups, and inserted exit phis, in address order, so two compiles of this file
// could differ (its deterministic-O2 run compiles it twice and compares). Oracles: central
// finite differences of the whole program (u0 and both coefficients) for n = 1, 2, 3, 17, and
// the gradient with the scratch array one past the state (ranges adjacent: rotated loop)
// against the gradient with separate arrays.
// RUN: clang
#include "check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

#define NMAX 17
#define STEPS 4
static const double H = 0.05;

__attribute__((noinline)) static void rhs(long n, const double *y, double d, double k,
                                          double *out) {
  for (long i = 0; i < n; i++) {
    double l = i > 0 ? y[i - 1] : y[i];
    double r = i < n - 1 ? y[i + 1] : y[i];
    out[i] = d * (l - 2 * y[i] + r) + k * y[i] * (1 - y[i]);
  }
}

// u: n, work: 5n (k1..k4, tmp), plain pointers
__attribute__((noinline)) static void step(long n, double *u, double *work, double d, double k) {
  double *k1 = work, *k2 = k1 + n, *k3 = k2 + n, *k4 = k3 + n, *tmp = k4 + n;
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

// x = (u0[n], d, k); the state and the scratch in `buf` (adjacent when `adjacent`)
static double run(long n, const double *x, double *buf, int adjacent) {
  double *u = buf, *work = adjacent ? buf + n : buf + 2 * NMAX;
  memcpy(u, x, n * sizeof(double));
  for (int s = 0; s < STEPS; s++)
    step(n, u, work, x[n], x[n + 1]);
  double f = 0;
  for (long i = 0; i < n; i++)
    f += (u[i] - 0.5) * (u[i] - 0.5) * (1 + 0.1 * i);
  return f;
}

double objective(long n, const double *x, double *buf, int adjacent) {
  return run(n, x, buf, adjacent);
}

static long cur_n;
static double packed(const double *x, const void *ctx) {
  (void)ctx;
  double buf[8 * NMAX];
  return run(cur_n, x, buf, 0);
}

int main(void) {
  long sizes[] = {1, 2, 3, NMAX};
  for (int t = 0; t < 4; t++) {
    long n = sizes[t];
    cur_n = n;
    double x[NMAX + 2];
    for (long i = 0; i < n; i++)
      x[i] = 0.2 + 0.6 * sin(0.7 * i) * sin(0.7 * i);
    x[n] = 0.4;
    x[n + 1] = 0.5;
    double buf[8 * NMAX], dbuf[8 * NMAX];
    double g[NMAX + 2], ga[NMAX + 2];
    for (int adjacent = 0; adjacent < 2; adjacent++) {
      double *out = adjacent ? ga : g;
      memset(out, 0, sizeof g);
      memset(dbuf, 0, sizeof dbuf);
      __enzyme_autodiff((void *)objective, enzyme_const, n, enzyme_dup, x, out, enzyme_dup, buf,
                        dbuf, enzyme_const, adjacent);
    }
    CHECK_GRAD_FD("RK4 with plain pointers vs finite differences", packed, NULL, x, n + 2, g,
                  RTOL_FD, ATOL_FD);
    CHECK_ARRAY_CLOSE("adjacent scratch = separate scratch", ga, g, n + 2, 1e-12, 1e-14);
  }
  return check_report();
}
