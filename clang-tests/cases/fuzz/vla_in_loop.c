// A variable-length array declared in a loop body (`double v[i + 1]`: clang brackets each
// iteration with llvm.stacksave / llvm.stackrestore). The reverse sweep reads an iteration's
// array (and its shadow) after the restore released that stack: later iterations and the
// sweep's own calls reused it, so reverse and split mode gave wrong gradients at -O0..-O3
// (garbage, different from run to run); forward mode was right. Found by ferment-fuzz (the edge
// variant). Oracles: central finite differences, forward mode, forward vs reverse (dot).
#include "check.h"

double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_reverse(void *, ...);

#define N 5

// VLA per iteration, values that change with the iteration, a call after the array is read
static double f(const double *a, double *g, double x, int n) {
  double t = x;
  for (int i = 0; i < n; i++) {
    double v[i + 1];
    for (int j = 0; j <= i; j++)
      v[j] = sin(a[j] * x + g[j] * (i + 1));
    double s = 0.0;
    for (int j = 0; j <= i; j++)
      s += v[j] * v[i - j];
    t = 0.5 * t + tanh(s) * g[i];
  }
  return t;
}

// a VLA sized by the trip count inside an outer loop, filled by memcpy and updated in place
static double h(const double *a, double *g, double x, int n) {
  double t = 0.0;
  for (int k = 0; k < 3; k++) {
    double w[n];
    memcpy(w, g, n * sizeof(double));
    for (int j = 0; j < n; j++)
      w[j] = cos(w[j] * x + 0.3 * k) * a[j];
    for (int j = 0; j < n; j++)
      t += w[j] * w[n - 1 - j] + 0.1 * exp(0.2 * t);
  }
  return t;
}

static const double A[N] = {0.3, -0.7, 1.1, 0.5, -0.2};
static const double G0[N] = {0.9, -0.4, 0.6, 1.3, -0.8};

static double fx(double x, void *fn) {
  double g[N];
  memcpy(g, G0, sizeof g);
  return ((double (*)(const double *, double *, double, int))fn)(A, g, x, N);
}

static void check(const char *what, void *fn) {
  const double x = 0.8;
  double g[N], dg[N] = {0}, dg2[N] = {0}, tg[N];
  memcpy(g, G0, sizeof g);
  double fd = (fx(x + 1e-6, fn) - fx(x - 1e-6, fn)) / 2e-6;
  // reverse: d/dx and d/dg
  double dx = __enzyme_autodiff(fn, enzyme_const, A, enzyme_dup, g, dg, x, enzyme_const, N);
  CHECK_CLOSE(what, dx, fd, RTOL_FD, ATOL_FD);
  // forward along (1, tg) against the dot with the reverse gradient
  for (int i = 0; i < N; i++)
    tg[i] = 0.25 * (i + 1) - 0.6;
  memcpy(g, G0, sizeof g);
  double jv = __enzyme_fwddiff(fn, enzyme_const, A, enzyme_dup, g, tg, x, 1.0, enzyme_const, N);
  double dot = dx;
  for (int i = 0; i < N; i++)
    dot += dg[i] * tg[i];
  CHECK_CLOSE(what, jv, dot, 1e-10, 1e-12);
  // forward along x alone against finite differences
  double zero[N] = {0};
  memcpy(g, G0, sizeof g);
  CHECK_CLOSE(what, __enzyme_fwddiff(fn, enzyme_const, A, enzyme_dup, g, zero, x, 1.0, enzyme_const, N), fd,
              RTOL_FD, ATOL_FD);
  // split mode
  memcpy(g, G0, sizeof g);
  void *tape = __enzyme_augmentfwd(fn, enzyme_const, A, enzyme_dup, g, dg2, x, enzyme_const, N);
  double sx = __enzyme_reverse(fn, enzyme_const, A, enzyme_dup, g, dg2, x, enzyme_const, N, 1.0, tape);
  CHECK_CLOSE(what, sx, dx, 1e-12, 1e-14);
  for (int i = 0; i < N; i++)
    CHECK_CLOSE(what, dg2[i], dg[i], 1e-12, 1e-14);
}

int main(void) {
  check("vla per iteration", (void *)f);
  check("vla sized by n in a loop", (void *)h);
  return check_report();
}
