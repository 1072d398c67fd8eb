// Hessian-vector products three ways through calls that stay calls (-ferment-no-inline), on an
// objective with a loop of runtime trip count, heap scratch memory and a helper function:
// forward-over-reverse (__enzyme_fwddiff of a function calling __enzyme_autodiff),
// reverse-over-forward (__enzyme_autodiff of a function calling __enzyme_fwddiff), and batched
// forward-over-reverse (enzyme_width 3 and 5: several Hessian columns per call).
// Oracles: central finite differences of a hand-written gradient along each direction, and the
// three modes against each other.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"
#include <stdlib.h>
#include <string.h>

extern int enzyme_width, enzyme_dup, enzyme_const, enzyme_dupv, enzyme_dupnoneedv;
void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff_d(void *, ...) __asm__("__enzyme_fwddiff");
void __enzyme_fwddiff(void *, ...);

enum { N = 11 };

__attribute__((noinline)) static double term(double a, double b) { return a * a * b + exp(0.3 * a * b); }

// f(x) = sum_i term(x_i, w_i) + 0.5 log(1 + sum x_i^2), w_i = x_{i+1} + 0.1 x_{i+2}, w on the heap.
__attribute__((noinline)) static double f(const double *x, int n) {
  double *w = malloc(n * sizeof *w), s = 0, q = 0;
  for (int i = 0; i < n; i++) w[i] = x[(i + 1) % n] + 0.1 * x[(i + 2) % n];
  for (int i = 0; i < n; i++) {
    s += term(x[i], w[i]);
    q += x[i] * x[i];
  }
  free(w);
  return s + 0.5 * log(1 + q);
}

static void grad_by_hand(const double *x, double *g) {
  double q = 0;
  for (int i = 0; i < N; i++) { q += x[i] * x[i]; g[i] = 0; }
  for (int i = 0; i < N; i++) {
    double a = x[i], b = x[(i + 1) % N] + 0.1 * x[(i + 2) % N], e = exp(0.3 * a * b);
    double da = 2 * a * b + 0.3 * b * e, db = a * a + 0.3 * a * e;
    g[i] += da;
    g[(i + 1) % N] += db;
    g[(i + 2) % N] += 0.1 * db;
  }
  for (int i = 0; i < N; i++) g[i] += x[i] / (1 + q);
}

// The gradient by reverse mode, and the directional derivative by forward mode.
__attribute__((noinline)) static void grad(const double *x, double *g) {
  memset(g, 0, N * sizeof *g);
  __enzyme_autodiff((void *)f, enzyme_dup, x, g, enzyme_const, N);
}
__attribute__((noinline)) static double dirder(const double *x, const double *v) {
  return __enzyme_fwddiff_d((void *)f, enzyme_dup, x, v, enzyme_const, N);
}

static double x0[N], dirs[5][N];

static void hv_fd(const double *v, double *hv) {
  double e = 1e-6, xp[N], xm[N], gp[N], gm[N];
  for (int i = 0; i < N; i++) { xp[i] = x0[i] + e * v[i]; xm[i] = x0[i] - e * v[i]; }
  grad_by_hand(xp, gp);
  grad_by_hand(xm, gm);
  for (int i = 0; i < N; i++) hv[i] = (gp[i] - gm[i]) / (2 * e);
}

int main(void) {
  char what[96];
  for (int i = 0; i < N; i++) x0[i] = 0.6 * sin(0.8 * i + 0.3);
  for (int k = 0; k < 5; k++)
    for (int i = 0; i < N; i++) dirs[k][i] = (i == 2 * k) ? 1.0 : 0.2 * cos(1.1 * i - k);
  for (int k = 0; k < 5; k++) {
    double *v = dirs[k], fd[N], g[N], hv_fr[N], hv_rf[N] = {0};
    hv_fd(v, fd);
    // forward-over-reverse
    __enzyme_fwddiff((void *)grad, enzyme_dup, x0, v, enzyme_dupnoneed, g, hv_fr);
    // reverse-over-forward: d/dx <grad f(x), v>
    __enzyme_autodiff((void *)dirder, enzyme_dup, x0, hv_rf, enzyme_const, v);
    for (int i = 0; i < N; i++) {
      snprintf(what, sizeof what, "dir %d forward-over-reverse Hv[%d] vs FD", k, i);
      CHECK_CLOSE(what, hv_fr[i], fd[i], RTOL_FD, ATOL_FD);
      snprintf(what, sizeof what, "dir %d reverse-over-forward Hv[%d] vs FD", k, i);
      CHECK_CLOSE(what, hv_rf[i], fd[i], RTOL_FD, ATOL_FD);
      snprintf(what, sizeof what, "dir %d reverse-over-forward vs forward-over-reverse [%d]", k, i);
      CHECK_CLOSE(what, hv_rf[i], hv_fr[i], RTOL_D, ATOL_D);
    }
  }
  // Batched forward-over-reverse: 3 and 5 directions per call.
  {
    double g[N], hv[5][N];
    __enzyme_fwddiff((void *)grad, enzyme_width, 3, enzyme_dupv, sizeof dirs[0], x0, dirs[0],
                     enzyme_dupnoneedv, sizeof hv[0], g, hv[0]);
    for (int k = 0; k < 3; k++) {
      double fd[N];
      hv_fd(dirs[k], fd);
      for (int i = 0; i < N; i++) {
        snprintf(what, sizeof what, "width 3 lane %d Hv[%d] vs FD", k, i);
        CHECK_CLOSE(what, hv[k][i], fd[i], RTOL_FD, ATOL_FD);
      }
    }
    __enzyme_fwddiff((void *)grad, enzyme_width, 5, enzyme_dupv, sizeof dirs[0], x0, dirs[0],
                     enzyme_dupnoneedv, sizeof hv[0], g, hv[0]);
    for (int k = 0; k < 5; k++) {
      double fd[N];
      hv_fd(dirs[k], fd);
      for (int i = 0; i < N; i++) {
        snprintf(what, sizeof what, "width 5 lane %d Hv[%d] vs FD", k, i);
        CHECK_CLOSE(what, hv[k][i], fd[i], RTOL_FD, ATOL_FD);
      }
    }
  }
  return check_report();
}
