// carried_rows.c's shapes in callees that stay calls (-ferment-no-inline): each becomes an
// augmented/reverse pair whose rows live in buffers the reverse function reads from the frame,
// so the carried values' start rows are written by the augmented function. The callees run
// several times in a loop of the caller (a tape per call), in place on the same state.
// Oracle: central finite differences of the caller with respect to the whole initial state.
// CFLAGS: -mllvm -ferment-no-inline
// RUN: clang
#include "check.h"

double __enzyme_autodiff(void *, ...);

#define N 12

__attribute__((noinline)) void nested(double *u, int n, int T, double r) {
  for (int t = 0; t < T; t++) {
    double prev = 0.5 * u[0] + 0.1;
    for (int i = 1; i < n - 1; i++) {
      double old = u[i], nx = u[i + 1];
      u[i] = old + r * (prev - 2.0 * old + nx) - 0.05 * old * old * nx;
      prev = old;
    }
  }
}

__attribute__((noinline)) void walk(double *u, int n) {
  for (int t = 0; t < 3; t++) {
    int i = 0;
    double prev = u[0];
    while (i < n - 1 && u[i + 1] > -0.9) {
      double nx = u[i + 1];
      u[i] = 0.5 * prev * nx + sin(prev);
      prev = nx;
      i++;
    }
  }
}

__attribute__((noinline)) double outer(double *u, int n) {
  double s = 0;
  for (int k = 0; k < 3; k++) {
    nested(u, n, 4, 0.2);
    walk(u, n);
    s += u[k] * u[k + 1];
  }
  for (int i = 0; i < n; i++)
    s += u[i] * u[i];
  return s;
}

static double outer_u(const double *u0, const void *c) {
  (void)c;
  double u[N];
  memcpy(u, u0, sizeof u);
  return outer(u, N);
}

int main(void) {
  // u0[7] <= -0.9 stops every walk at i = 6 (the states stay above the threshold before it)
  double u0[N], u[N], du[N] = {0};
  for (int i = 0; i < N; i++)
    u0[i] = 0.4 * cos(0.7 * i) + 0.2;
  u0[7] = -1.5;
  memcpy(u, u0, sizeof u);
  __enzyme_autodiff((void *)outer, u, du, N);
  CHECK_GRAD_FD("split pairs: d/d u0", outer_u, NULL, u0, N, du, RTOL_FD, ATOL_FD);
  return check_report();
}
