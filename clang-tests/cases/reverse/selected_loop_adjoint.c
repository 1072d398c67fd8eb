// Reverse loops whose adjoint is zero for all but the selected candidates (the derivative's
// optimizer unswitches such loops on the adjoint's zero test and drops the zero side): a maxout
// layer sum_i max_k (w_k . x_i) with fmax, a hinge sum_i max(0, 1 - w . x_i) with a branch, and a
// nearest-center distance recomputed through the index kept beside the minimum. One center is
// so far away that its distances overflow to +inf: never selected, its gradient must be exactly
// zero. Oracles: analytic gradients (the winning row gets x_i) and central finite differences;
// the forward-mode directional derivative against the reverse dot product.
#include "check.h"
#include <math.h>

extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { N = 300, K = 6, D = 7 };
static double X[N][D];

__attribute__((noinline)) double maxout(const double *w, int n) {
  double f = 0;
  for (int i = 0; i < n; i++) {
    double best = -INFINITY;
    for (int k = 0; k < K; k++) {
      double s = 0;
      for (int j = 0; j < D; j++) s += w[k * D + j] * X[i][j];
      best = fmax(best, s);
    }
    f += best;
  }
  return f;
}

__attribute__((noinline)) double hinge(const double *w, int n) {
  double f = 0;
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int j = 0; j < D; j++) s += w[j] * X[i][j];
    if (1 - s > 0) f += 1 - s;
  }
  return f;
}

__attribute__((noinline)) double nearest(const double *c, int n) {
  double f = 0;
  for (int i = 0; i < n; i++) {
    double best = INFINITY;
    int arg = 0;
    for (int k = 0; k < K; k++) {
      double s = 0;
      for (int j = 0; j < D; j++) s += (X[i][j] - c[k * D + j]) * (X[i][j] - c[k * D + j]);
      if (s < best) {
        best = s;
        arg = k;
      }
    }
    double r = 0;
    for (int j = 0; j < D; j++) r += (X[i][j] - c[arg * D + j]) * (X[i][j] - c[arg * D + j]);
    f += r;
  }
  return f;
}

typedef double (*fn)(const double *, int);

static double fd(fn f, double *w, int i) {
  double h = 1e-6, o = w[i];
  w[i] = o + h;
  double fp = f(w, N);
  w[i] = o - h;
  double fm = f(w, N);
  w[i] = o;
  return (fp - fm) / (2 * h);
}

static void check_fn(const char *name, fn f, double *w, int m, const double *analytic) {
  char what[96];
  double g[K * D] = {0}, v[K * D];
  __enzyme_autodiff((void *)f, enzyme_dup, w, g, enzyme_const, N);
  double dot = 0;
  for (int i = 0; i < m; i++) {
    v[i] = cos(0.7 * i + 0.2);
    dot += g[i] * v[i];
    snprintf(what, sizeof what, "%s: g[%d] vs FD", name, i);
    CHECK_CLOSE(what, g[i], fd(f, w, i), RTOL_FD, 1e-6);
    snprintf(what, sizeof what, "%s: g[%d] vs analytic", name, i);
    CHECK_CLOSE(what, g[i], analytic[i], 1e-10, 1e-10);
  }
  double fwd = __enzyme_fwddiff((void *)f, enzyme_dup, w, v, enzyme_const, N);
  snprintf(what, sizeof what, "%s: forward v vs reverse g . v", name);
  CHECK_CLOSE(what, fwd, dot, 1e-10, 1e-10);
}

int main(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < D; j++) X[i][j] = sin(0.31 * (i * D + j) + 0.4) + 0.2 * cos(1.7 * i - j);
  double w[K * D], a[K * D];
  for (int t = 0; t < K * D; t++) w[t] = 0.5 * cos(0.9 * t + 0.1);
  // maxout: the winning row k of each point gets x_i
  for (int t = 0; t < K * D; t++) a[t] = 0;
  for (int i = 0; i < N; i++) {
    int arg = 0;
    double best = -INFINITY;
    for (int k = 0; k < K; k++) {
      double s = 0;
      for (int j = 0; j < D; j++) s += w[k * D + j] * X[i][j];
      if (s > best) best = s, arg = k;
    }
    for (int j = 0; j < D; j++) a[arg * D + j] += X[i][j];
  }
  check_fn("maxout", maxout, w, K * D, a);
  // hinge: -x_i for the points inside the margin
  for (int j = 0; j < D; j++) a[j] = 0;
  for (int i = 0; i < N; i++) {
    double s = 0;
    for (int j = 0; j < D; j++) s += w[j] * X[i][j];
    if (1 - s > 0)
      for (int j = 0; j < D; j++) a[j] -= X[i][j];
  }
  check_fn("hinge", hinge, w, D, a);
  // nearest: 2 (c_k - x_i) summed over the points nearest to k; center 5 far away (never chosen)
  double c[K * D];
  for (int k = 0; k < K; k++)
    for (int j = 0; j < D; j++) c[k * D + j] = k == 5 ? 1e200 : X[7 * k][j] + 0.1 * cos(k + j);
  for (int t = 0; t < K * D; t++) a[t] = 0;
  for (int i = 0; i < N; i++) {
    int arg = 0;
    double best = INFINITY;
    for (int k = 0; k < K; k++) {
      double s = 0;
      for (int j = 0; j < D; j++) s += (X[i][j] - c[k * D + j]) * (X[i][j] - c[k * D + j]);
      if (s < best) best = s, arg = k;
    }
    for (int j = 0; j < D; j++) a[arg * D + j] += 2 * (c[arg * D + j] - X[i][j]);
  }
  // the far center: its distance overflows to +inf and its adjoint must be exactly 0 (not NaN)
  double g[K * D] = {0};
  __enzyme_autodiff((void *)nearest, enzyme_dup, c, g, enzyme_const, N);
  char what[96];
  for (int t = 0; t < K * D; t++) {
    snprintf(what, sizeof what, "nearest: g[%d] vs analytic", t);
    CHECK_CLOSE(what, g[t], a[t], 1e-10, 1e-10);
  }
  for (int t = 0; t < 5 * D; t++) {
    snprintf(what, sizeof what, "nearest: g[%d] vs FD", t);
    CHECK_CLOSE(what, g[t], fd(nearest, c, t), RTOL_FD, 1e-6);
  }
  return check_report();
}
