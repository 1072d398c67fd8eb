// Reverse loops that the vectorizer turns into vector code with a carried value (a first-order
// recurrence): each reverse iteration hands an adjoint to the next one. Running downwards, the
// vector lanes come out reversed and ferment re-orders groups of lane-wise code to memory order
// after the vectorizer (lanes.rs). Arrays are long and odd-sized so that the vector loop, its
// interleaved parts and the scalar remainder all run.
// Oracles: central finite differences (every coordinate for double, a sample for float) and
// forward-vs-reverse dot products.
// RUN: clang
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
float __enzyme_autodiff_f32(void *, float *, float *, int, int, int, int, float);
float __enzyme_fwddiff_f32(void *, float *, float *, int, int, int, int, float, float);

#define N 203
#define T 12

// In place, old left neighbour carried in a scalar; lane-wise sqrt, fabs and a select.
double smooth(double *u, int n, int steps, double nu) {
  for (int t = 0; t < steps; t++) {
    double left = u[0];
    for (int i = 1; i < n - 1; i++) {
      double c = u[i];
      double react = c > 0 ? 0.01 * c : -0.02 * c;
      u[i] = c + nu * (left - 2.0 * c + u[i + 1]) - 0.01 * c * sqrt(c * c + 1.0) + react * fabs(left);
      left = c;
    }
  }
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += u[i] * u[i];
  return s;
}

// Out of place: y_i uses x_i and x_{i-1}; the adjoint of x_{i-1} goes to the next reverse iteration.
double pairs(const double *x, double *y, int n, double a) {
  y[0] = x[0];
  for (int i = 1; i < n; i++)
    y[i] = x[i] * x[i - 1] + a * exp(-x[i] * x[i]);
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += (1.0 + 0.01 * i) * y[i] * y[i];
  return s;
}

float heatf(float *u, int n, int steps, float nu) {
  for (int t = 0; t < steps; t++) {
    float left = u[0];
    for (int i = 1; i < n - 1; i++) {
      float c = u[i];
      u[i] = c + nu * (left - 2.0f * c + u[i + 1]) - 0.01f * c * c * c;
      left = c;
    }
  }
  float s = 0.0f;
  for (int i = 0; i < n; i++)
    s += u[i] * u[i];
  return s;
}

// The double-precision twin of heatf: its finite differences are the float gradient's oracle
// (float finite differences are too noisy for a sum over 203 elements).
double heatd(double *u, int n, int steps, double nu) {
  for (int t = 0; t < steps; t++) {
    double left = u[0];
    for (int i = 1; i < n - 1; i++) {
      double c = u[i];
      u[i] = c + nu * (left - 2.0 * c + u[i + 1]) - 0.01 * c * c * c;
      left = c;
    }
  }
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += u[i] * u[i];
  return s;
}

static double g_nu = 0.2;
static double smooth_u(const double *u0, const void *c) {
  (void)c;
  double u[N];
  memcpy(u, u0, sizeof u);
  return smooth(u, N, T, g_nu);
}
static double pairs_x(const double *x, const void *c) {
  (void)c;
  double y[N];
  return pairs(x, y, N, 0.7);
}
static double heatd_u(const double *u0, const void *c) {
  (void)c;
  double u[N];
  memcpy(u, u0, sizeof u);
  return heatd(u, N, T, (double)0.2f);
}

int main(void) {
  unsigned s = 11;
  double u0[N], u[N], du[N] = {0}, tu[N], tdir[N];
  for (int i = 0; i < N; i++)
    u0[i] = 0.8 * sin(0.3 * i) + 0.1 * prand(&s);

  // smooth: reverse vs FD, forward vs reverse
  memcpy(u, u0, sizeof u);
  double dnu = __enzyme_autodiff((void *)smooth, u, du, enzyme_const, N, enzyme_const, T, g_nu);
  CHECK_GRAD_FD("smooth: reverse d loss / d u0", smooth_u, NULL, u0, N, du, RTOL_FD, ATOL_FD);
  for (int i = 0; i < N; i++)
    tdir[i] = tu[i] = prand(&s);
  memcpy(u, u0, sizeof u);
  double t = __enzyme_fwddiff((void *)smooth, u, tu, enzyme_const, N, enzyme_const, T, g_nu, 0.5);
  CHECK_CLOSE("smooth: forward (du0 = v, dnu = 0.5) vs reverse", t, dotv(du, tdir, N) + 0.5 * dnu, 1e-9,
              1e-12);

  // pairs: reverse vs FD, forward vs reverse
  double x[N], dx[N] = {0}, y[N], dy[N] = {0}, tx[N];
  for (int i = 0; i < N; i++)
    x[i] = cos(0.2 * i) + 0.1 * prand(&s);
  double da = __enzyme_autodiff((void *)pairs, x, dx, y, dy, enzyme_const, N, 0.7);
  CHECK_GRAD_FD("pairs: reverse d loss / d x", pairs_x, NULL, x, N, dx, RTOL_FD, ATOL_FD);
  for (int i = 0; i < N; i++)
    tx[i] = prand(&s);
  double tp = __enzyme_fwddiff((void *)pairs, x, tx, y, dy, enzyme_const, N, 0.7, -0.25);
  CHECK_CLOSE("pairs: forward (dx = v, da = -0.25) vs reverse", tp, dotv(dx, tx, N) - 0.25 * da, 1e-9,
              1e-12);

  // heatf (float): reverse vs FD of the double twin, forward vs reverse
  float f0[N], f[N], df[N] = {0}, tf[N];
  double d0[N];
  for (int i = 0; i < N; i++)
    d0[i] = f0[i] = (float)u0[i];
  memcpy(f, f0, sizeof f);
  float dnuf = __enzyme_autodiff_f32((void *)heatf, f, df, enzyme_const, N, enzyme_const, T, 0.2f);
  for (int i = 0; i < N; i++)
    CHECK_CLOSE_AT("heatf: reverse vs FD of the double twin", i, df[i], fdvc(heatd_u, NULL, d0, N, i), RTOL_FDF,
                   ATOL_FDF);
  double dot = 0;
  for (int i = 0; i < N; i++) {
    tf[i] = (float)prand(&s);
    dot += (double)df[i] * tf[i];
  }
  memcpy(f, f0, sizeof f);
  float tff = __enzyme_fwddiff_f32((void *)heatf, f, tf, enzyme_const, N, enzyme_const, T, 0.2f, 0.5f);
  CHECK_CLOSE("heatf: forward vs reverse", tff, dot + 0.5 * dnuf, 1e-4, 1e-5);
  return check_report();
}
