// Enzyme's fixed-point loops (enzyme/fixed_point.h): __enzyme_fixed_point(step, markers...,
// args...) runs `i = 0; while (step(i++, args...));`, and __enzyme_set_fixed_point marks a loop
// written by hand. The state z solves z_k = 0.5 cos(z_k + z_{k+1}) + p_k z_{k-1} / 4 + p_k
// (a contraction), iterated to machine precision; the loss is L = sum_k w_k z_k^2.
// Oracles: the implicit-function theorem (solve (I - dphi/dz)^T lambda = dL/dz, then
// dL/dp = lambda^T dphi/dp) with a dense solve; central finite differences; the same loop
// without the marker (the same gradient up to the convergence tolerance); forward vs reverse (dot product).
#include "check.h"
#include <enzyme/fixed_point.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;

#define N 5
static const double W[N] = {1.0, -0.5, 2.0, 0.25, 1.5};

static double phi_k(const double *z, const double *p, int k) {
  double prev = k > 0 ? z[k - 1] : 0.0, next = k + 1 < N ? z[k + 1] : 0.0;
  return 0.5 * cos(z[k] + next) + 0.25 * p[k] * prev + p[k];
}

// One iteration: the state z is updated in place; goes on while it still changes.
static int step(int64_t i, double *z, const double *p) {
  double t[N], diff = 0.0;
  for (int k = 0; k < N; k++)
    t[k] = phi_k(z, p, k);
  for (int k = 0; k < N; k++) {
    diff = fmax(diff, fabs(t[k] - z[k]));
    z[k] = t[k];
  }
  return diff > 0.0 && i < 500;
}

static double loss(const double *z) {
  double s = 0.0;
  for (int k = 0; k < N; k++)
    s += W[k] * z[k] * z[k];
  return s;
}

double with_api(const double *p) {
  double z[N] = {0};
  __enzyme_fixed_point((void *)step, enzyme_fp_state, z, (int64_t)sizeof z, enzyme_fp_reduction,
                       1e-20, enzyme_fp_max_iters, (int64_t)100, z, p);
  return loss(z);
}

double with_marker(const double *p) {
  double z[N] = {0};
  int64_t i = 0;
  int go = 1;
  while (go) {
    __enzyme_set_fixed_point(-1.0, (int64_t)-1, (void *)0, z, (int64_t)sizeof z);
    go = step(i++, z, p);
  }
  return loss(z);
}

double plain(const double *p) {
  double z[N] = {0};
  int64_t i = 0;
  while (step(i++, z, p))
    ;
  return loss(z);
}

static double packed(const double *p, const void *ctx) {
  (void)ctx;
  return plain(p);
}

// dL/dp by the implicit-function theorem, with dphi/dz and dphi/dp by hand.
static void implicit_gradient(const double *p, double *g) {
  double z[N] = {0}, a[N][N + 1];
  int64_t i = 0;
  while (step(i++, z, p))
    ;
  // A = (I - dphi/dz)^T, right-hand side dL/dz.
  for (int r = 0; r < N; r++)
    for (int c = 0; c <= N; c++)
      a[r][c] = (r == c) ? 1.0 : 0.0;
  for (int k = 0; k < N; k++) {
    double next = k + 1 < N ? z[k + 1] : 0.0, s = -0.5 * sin(z[k] + next);
    a[k][k] -= s; /* dphi_k/dz_k, transposed: row k, column k */
    if (k + 1 < N)
      a[k + 1][k] -= s; /* dphi_k/dz_{k+1} -> row k+1 */
    if (k > 0)
      a[k - 1][k] -= 0.25 * p[k]; /* dphi_k/dz_{k-1} -> row k-1 */
  }
  for (int r = 0; r < N; r++)
    a[r][N] = 2.0 * W[r] * z[r];
  for (int c = 0; c < N; c++) /* Gauss-Jordan, no pivoting (diagonally dominant) */
    for (int r = 0; r < N; r++)
      if (r != c) {
        double f = a[r][c] / a[c][c];
        for (int j = c; j <= N; j++)
          a[r][j] -= f * a[c][j];
      }
  for (int k = 0; k < N; k++) {
    double lambda = a[k][N] / a[k][k], prev = k > 0 ? z[k - 1] : 0.0;
    g[k] = lambda * (0.25 * prev + 1.0);
  }
}

int main(void) {
  double p[N] = {0.1, -0.2, 0.3, 0.05, -0.15}, want[N], d1[N] = {0}, d2[N] = {0}, d3[N] = {0};
  implicit_gradient(p, want);
  CHECK_GRAD_FD("oracle: implicit-function theorem vs finite differences", packed, NULL, p, N, want,
                RTOL_FD, ATOL_FD);
  __enzyme_autodiff((void *)with_api, enzyme_dup, p, d1);
  __enzyme_autodiff((void *)with_marker, enzyme_dup, p, d2);
  __enzyme_autodiff((void *)plain, enzyme_dup, p, d3);
  CHECK_ARRAY_CLOSE("__enzyme_fixed_point vs implicit gradient", d1, want, N, 1e-9, 1e-12);
  CHECK_ARRAY_CLOSE("__enzyme_set_fixed_point vs implicit gradient", d2, want, N, 1e-9, 1e-12);
  // Reverse mode of __enzyme_fixed_point iterates the adjoint at the fixed point (not the
  // iterations), so it agrees with the plain loop's derivative to the convergence tolerance.
  CHECK_ARRAY_CLOSE("__enzyme_fixed_point vs the plain loop", d1, d3, N, 1e-9, 1e-12);
  double v[N] = {0.3, -1.0, 0.5, 2.0, -0.7};
  CHECK_CLOSE("forward vs reverse", __enzyme_fwddiff((void *)with_api, p, v), dotv(want, v, N),
              1e-9, 1e-12);
  CHECK_CLOSE("primal", with_api(p), plain(p), 0, 0);
  return check_report();
}
