// Loop-carried values read back from the previous tape row: an in-place update keeps the old
// value of an element in a scalar (`prev = nx`, where `nx = u[i + 1]` is loaded before u[i + 1]
// is overwritten), so the reverse sweep reads `prev` of iteration i from the field its
// predecessor filled, and, on the first iteration of every instance of the loop, the start value
// the forward sweep stored into the row before it. The shapes around that:
//   - nested: a time loop around the carried loop (one instance per step, start `0.5 u[0] + 0.1`,
//     not a value of any row), nonlinear in both the carried and the newly loaded value, so the
//     loaded value is also read back for its own iteration;
//   - a while loop whose exit depends on the data (no trip count at entry: the rows grow when
//     full) with a carried value, run three times;
//   - a triangular nest whose inner instances shrink to none (empty instances between others).
// Oracle: central finite differences of each function, with respect to every input.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
extern int enzyme_const;

#define N 12

__attribute__((noinline)) double nested(double *u, int n, int T, double r) {
  for (int t = 0; t < T; t++) {
    double prev = 0.5 * u[0] + 0.1;
    for (int i = 1; i < n - 1; i++) {
      double old = u[i], nx = u[i + 1];
      u[i] = old + r * (prev - 2.0 * old + nx) - 0.05 * old * old * nx;
      prev = old;
    }
  }
  double s = 0;
  for (int i = 0; i < n; i++)
    s += u[i] * u[i];
  return s;
}

__attribute__((noinline)) double walk(double *u, int n, double c) {
  double s = 0;
  for (int t = 0; t < 3; t++) {
    int i = 0;
    double prev = u[0];
    while (i < n - 1 && u[i + 1] > -c) {
      double nx = u[i + 1];
      u[i] = 0.5 * prev * nx + sin(prev);
      prev = nx;
      i++;
    }
    s += u[i] * (t + 1);
  }
  for (int i = 0; i < n; i++)
    s += 0.25 * u[i] * u[i];
  return s;
}

__attribute__((noinline)) double triangle(double *a, int m) {
  for (int k = 0; k < m; k++) {
    double prev = a[k];
    for (int i = k + 1; i < m; i++) {
      double nx = a[i];
      a[i] = nx + 0.3 * prev * prev - 0.1 * nx * prev;
      prev = nx;
    }
  }
  double s = 0;
  for (int i = 0; i < m; i++)
    s += a[i] * (1.0 + 0.1 * i);
  return s;
}

static double nested_u(const double *u0, const void *c) {
  (void)c;
  double u[N];
  memcpy(u, u0, sizeof u);
  return nested(u, N, 7, 0.2);
}
static double nested_r(double r) {
  double u[N];
  for (int i = 0; i < N; i++)
    u[i] = 0.4 * cos(0.7 * i) + 0.2;
  return nested(u, N, 7, r);
}
static double walk_u(const double *u0, const void *c) {
  (void)c;
  double u[N];
  memcpy(u, u0, sizeof u);
  return walk(u, N, 0.9);
}
static double triangle_a(const double *a0, const void *c) {
  (void)c;
  double a[N];
  memcpy(a, a0, sizeof a);
  return triangle(a, N);
}

int main(void) {
  double u0[N], u[N], du[N];
  unsigned s = 7;
  for (int i = 0; i < N; i++)
    u0[i] = 0.4 * cos(0.7 * i) + 0.2;

  memcpy(u, u0, sizeof u);
  memset(du, 0, sizeof du);
  double dr = __enzyme_autodiff((void *)nested, u, du, enzyme_const, N, enzyme_const, 7, 0.2);
  CHECK_GRAD_FD("nested: d/d u0", nested_u, NULL, u0, N, du, RTOL_FD, ATOL_FD);
  CHECK_CLOSE("nested: d/d r", dr, fd1(nested_r, 0.2), RTOL_FD, ATOL_FD);

  // the walk stops at the first u[i + 1] <= -0.9: at i = 6 here (u0[7] is made -1.5), three
  // times; u0[1..6] stay well above the threshold (no exit moves under the finite differences)
  double w0[N];
  for (int i = 0; i < N; i++)
    w0[i] = 0.3 * prand(&s) + 0.2;
  w0[7] = -1.5;
  memcpy(u, w0, sizeof u);
  memset(du, 0, sizeof du);
  __enzyme_autodiff((void *)walk, u, du, enzyme_const, N, enzyme_const, 0.9);
  CHECK_GRAD_FD("walk: d/d u0", walk_u, NULL, w0, N, du, RTOL_FD, ATOL_FD);

  double a0[N], a[N], da[N];
  for (int i = 0; i < N; i++)
    a0[i] = 0.5 * prand(&s);
  memcpy(a, a0, sizeof a);
  memset(da, 0, sizeof da);
  __enzyme_autodiff((void *)triangle, a, da, enzyme_const, N);
  CHECK_GRAD_FD("triangle: d/d a0", triangle_a, NULL, a0, N, da, RTOL_FD, ATOL_FD);
  return check_report();
}
