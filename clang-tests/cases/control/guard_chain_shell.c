// A pair loop whose energy term counts only inside a shell (0.5 < r2 < 4), the term computed for
// every pair before the test: outside the shell a chain of products (t = 1/r2, u = t^3,
// v = u^2 - u) is discarded, and for coincident particles (r2 = 0) every partial of that chain
// is infinite. The guards of the discarded chain must give exactly zero there; at -O2 the branch
// is a select, the reverse pair loop is vectorized, and the chain's guards share its first test.
// A second, nested test (the pair's weight w > 0) discards a shorter chain inside the first one.
// Oracles: the analytic gradient (a hand-written adjoint) and central finite differences.
#include "check.h"
#include <math.h>

extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);

enum { N = 40 };

__attribute__((noinline)) double shell(const double *x, const double *w, long n) {
  double e = 0;
  for (long i = 0; i < n; i++)
    for (long j = i + 1; j < n; j++) {
      double dx = x[3 * j] - x[3 * i], dy = x[3 * j + 1] - x[3 * i + 1], dz = x[3 * j + 2] - x[3 * i + 2];
      double r2 = dx * dx + dy * dy + dz * dz;
      double t = 1.0 / r2;
      double u = t * t * t;
      double v = u * u - u;
      double k = w[i] * w[j] > 0 ? sqrt(r2) * log(r2) : 0.0;
      if (r2 > 0.5 && r2 < 4.0)
        e += 4.0 * v + k;
    }
  return e;
}

static void shell_hand(const double *x, const double *w, long n, double *g) {
  for (long i = 0; i < n; i++)
    for (long j = i + 1; j < n; j++) {
      double dx = x[3 * j] - x[3 * i], dy = x[3 * j + 1] - x[3 * i + 1], dz = x[3 * j + 2] - x[3 * i + 2];
      double r2 = dx * dx + dy * dy + dz * dz;
      if (!(r2 > 0.5 && r2 < 4.0))
        continue;
      double u = 1.0 / (r2 * r2 * r2);
      // d(4 (u^2 - u))/dr2 = 4 (2u - 1) du/dr2, du/dr2 = -3 u / r2
      double de = 4.0 * (2.0 * u - 1.0) * (-3.0 * u / r2);
      // d(sqrt(r2) log(r2))/dr2 = log(r2) / (2 sqrt(r2)) + 1 / sqrt(r2)
      if (w[i] * w[j] > 0)
        de += log(r2) / (2.0 * sqrt(r2)) + 1.0 / sqrt(r2);
      double d[3] = {dx, dy, dz};
      for (int c = 0; c < 3; c++) {
        g[3 * j + c] += de * 2.0 * d[c];
        g[3 * i + c] -= de * 2.0 * d[c];
      }
    }
}

static double X[3 * N], W[N];

int main(void) {
  // A chain along x with spacing 0.9 (neighbours r2 ~ 0.81, second neighbours ~ 3.2, in the
  // shell; third ~ 7.3, out), jittered in y and z; particles 10 and 11 coincide (r2 = 0), one
  // particle is far away (r2 ~ 1e6), and every fourth weight is negative.
  for (int i = 0; i < N; i++) {
    X[3 * i] = 0.9 * i;
    X[3 * i + 1] = 0.05 * sin(1.7 * i);
    X[3 * i + 2] = 0.05 * cos(2.3 * i);
    W[i] = i % 4 == 3 ? -1.0 - 0.1 * i : 0.5 + 0.01 * i;
  }
  for (int c = 0; c < 3; c++)
    X[3 * 11 + c] = X[3 * 10 + c];
  X[3 * 25] = 1000.0;

  double g[3 * N] = {0}, want[3 * N] = {0};
  __enzyme_autodiff((void *)shell, enzyme_dup, X, g, enzyme_const, W, enzyme_const, (long)N);
  shell_hand(X, W, N, want);
  char what[64];
  for (int i = 0; i < 3 * N; i++) {
    snprintf(what, sizeof what, "d/dx[%d] (analytic)", i);
    CHECK_CLOSE(what, g[i], want[i], 1e-9, 1e-9);
  }
  CHECK_ARRAY_FD("d/dx (central differences)", X, 3 * N, g, 1e-6, shell(X, W, N), RTOL_FD, 1e-6);
  return check_report();
}
