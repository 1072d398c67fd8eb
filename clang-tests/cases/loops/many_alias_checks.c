// An LSTM-like cell over n units, n known only at run time: the reverse loop adds into the
// shadows of five arrays and reads seven, so vectorizing it would need run-time alias checks
// between ~40 pairs of pointer groups; such a derivative loop stays scalar
// (`-ferment-max-vector-checks`, see derivative_size.rs). The gradient with respect to every
// array, with n = 14 (a vector iteration and a remainder had it been vectorized) and n = 3.
// Oracle: central finite differences with respect to every input.
// RUN: clang opt
#include "check.h"
#include <string.h>

extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);

#define NMAX 14

static double sig(double x) { return 1 / (1 + exp(-x)); }

__attribute__((noinline)) double cell(const double *w, const double *u, const double *bias,
                                      const double *h, double *c, long n) {
  double s = 0;
  for (long j = 0; j < n; j++) {
    double f = sig(h[j] * w[j] + u[j] * c[j] + bias[j]);
    double i = sig(h[j] * w[n + j] + u[n + j] * c[j] + bias[n + j]);
    double g = tanh(h[j] * w[2 * n + j] + bias[2 * n + j]);
    c[j] = f * c[j] + i * g;
    s += c[j] * c[j];
  }
  return s;
}

// x holds w (3n), u (2n), bias (3n), h (n), c (n).
static double cell_x(const double *x, const void *ctx) {
  long n = *(const long *)ctx;
  double c[NMAX];
  memcpy(c, x + 9 * n, sizeof(double) * n);
  return cell(x, x + 3 * n, x + 5 * n, x + 8 * n, c, n);
}

static volatile long sizes[2] = {NMAX, 3};

int main(void) {
  for (int k = 0; k < 2; k++) {
    long n = sizes[k];
    double x[10 * NMAX], dx[10 * NMAX], c[NMAX];
    unsigned s = 11 + k;
    for (long i = 0; i < 10 * n; i++)
      x[i] = prand(&s) - 0.5;
    memset(dx, 0, sizeof dx);
    memcpy(c, x + 9 * n, sizeof(double) * n);
    __enzyme_autodiff((void *)cell, enzyme_dup, x, dx, enzyme_dup, x + 3 * n, dx + 3 * n,
                      enzyme_dup, x + 5 * n, dx + 5 * n, enzyme_dup, x + 8 * n, dx + 8 * n,
                      enzyme_dup, c, dx + 9 * n, enzyme_const, n);
    CHECK_GRAD_FD("cell: d/d (w, u, bias, h, c)", cell_x, &n, x, 10 * n, dx, RTOL_FD, ATOL_FD);
  }
  return check_report();
}
