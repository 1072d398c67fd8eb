// A dense linear solve as numerical-methods code writes it: Doolittle LU factorisation in
// place with partial pivoting (search of the largest |a_ik| with fabs, an int permutation
// array, whole-row swaps through a temporary), forward and back substitution applying the
// permutation, a determinant from the diagonal and the swap parity, and one step of iterative
// refinement with the residual computed from a saved copy of the matrix. The user solves a
// parameterised system A(theta) x = b(theta) (a 1D convection-diffusion stencil plus a dense
// coupling row so that pivoting really swaps rows) and differentiates a quantity of interest
// of the solution and log|det A| with respect to theta and b, reverse and forward, and the
// whole solve with split mode.
// Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
// forward vs reverse, split vs joint reverse.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

enum { N = 7 };

/* returns the number of row swaps, or -1 on a zero pivot */
static int lu_factor(double *a, int n, int *perm) {
  int swaps = 0;
  for (int i = 0; i < n; i++) perm[i] = i;
  for (int k = 0; k < n; k++) {
    int p = k;
    double best = fabs(a[k * n + k]);
    for (int i = k + 1; i < n; i++) {
      double v = fabs(a[i * n + k]);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (best == 0.0) return -1;
    if (p != k) {
      for (int j = 0; j < n; j++) {
        double tmp = a[k * n + j];
        a[k * n + j] = a[p * n + j];
        a[p * n + j] = tmp;
      }
      int ti = perm[k];
      perm[k] = perm[p];
      perm[p] = ti;
      swaps++;
    }
    for (int i = k + 1; i < n; i++) {
      double l = a[i * n + k] / a[k * n + k];
      a[i * n + k] = l;
      for (int j = k + 1; j < n; j++) a[i * n + j] -= l * a[k * n + j];
    }
  }
  return swaps;
}

static void lu_solve(const double *lu, int n, const int *perm, const double *b, double *x) {
  for (int i = 0; i < n; i++) {
    double s = b[perm[i]];
    for (int j = 0; j < i; j++) s -= lu[i * n + j] * x[j];
    x[i] = s;
  }
  for (int i = n - 1; i >= 0; i--) {
    double s = x[i];
    for (int j = i + 1; j < n; j++) s -= lu[i * n + j] * x[j];
    x[i] = s / lu[i * n + i];
  }
}

/* theta = [diffusion, velocity, coupling], assembles A and b */
static void assemble(const double *theta, const double *src, double *A, double *b) {
  double nu = theta[0], v = theta[1], c = theta[2];
  for (int i = 0; i < N * N; i++) A[i] = 0.0;
  for (int i = 0; i < N; i++) {
    A[i * N + i] = 2.0 * nu + 0.1;
    if (i > 0) A[i * N + i - 1] = -nu - 0.5 * v;
    if (i < N - 1) A[i * N + i + 1] = -nu + 0.5 * v;
    b[i] = src[i];
  }
  /* a dense constraint row on top: large entries below the diagonal force swaps */
  for (int j = 0; j < N; j++) A[j] = c * (1.0 + 0.3 * j);
  A[0] = 0.05 * c;
  b[0] = c * src[0];
}

/* quantity of interest: weighted mean of the solution plus log|det A| */
static double qoi(const double *theta, const double *src) {
  double *A = malloc(sizeof(double) * N * N), *A0 = malloc(sizeof(double) * N * N);
  double b[N], x[N], r[N], dx[N];
  int perm[N];
  assemble(theta, src, A, b);
  for (int i = 0; i < N * N; i++) A0[i] = A[i];
  int swaps = lu_factor(A, N, perm);
  double out = 0.0;
  if (swaps >= 0) {
    lu_solve(A, N, perm, b, x);
    /* one step of iterative refinement */
    for (int i = 0; i < N; i++) {
      double s = b[i];
      for (int j = 0; j < N; j++) s -= A0[i * N + j] * x[j];
      r[i] = s;
    }
    lu_solve(A, N, perm, r, dx);
    for (int i = 0; i < N; i++) x[i] += dx[i];
    double logdet = 0.0;
    for (int i = 0; i < N; i++) logdet += log(fabs(A[i * N + i]));
    for (int i = 0; i < N; i++) out += (1.0 + 0.1 * i) * x[i];
    out += 0.25 * logdet + 0.0 * (swaps & 1);
  }
  free(A);
  free(A0);
  return out;
}

/* split mode: the solve as a procedure writing x */
static void solve_into(const double *theta, const double *src, double *x) {
  double A[N * N], b[N];
  int perm[N];
  assemble(theta, src, A, b);
  if (lu_factor(A, N, perm) < 0) return;
  lu_solve(A, N, perm, b, x);
}

static double sum_solve(const double *theta, const double *src) {
  double x[N] = {0};
  solve_into(theta, src, x);
  double s = 0.0;
  for (int i = 0; i < N; i++) s += x[i] * x[i];
  return s;
}

int main(void) {
  double theta[3] = {0.8, 0.6, 1.7};
  double src[N];
  for (int i = 0; i < N; i++) src[i] = sin(0.7 * i) + 0.4;

  /* the pivoting does swap rows here */
  {
    double A[N * N], b[N];
    int perm[N];
    assemble(theta, src, A, b);
    CHECK_TRUE("pivoting swaps rows", lu_factor(A, N, perm) > 0);
  }

  double dth[3] = {0}, dsrc[N] = {0};
  __enzyme_autodiff((void *)qoi, enzyme_dup, theta, dth, enzyme_dup, src, dsrc);
  CHECK_ARRAY_FD("dqoi/dtheta", theta, 3, dth, 1e-6, qoi(theta, src), 1e-6, 1e-9);
  CHECK_ARRAY_FD("dqoi/dsrc", src, N, dsrc, 1e-6, qoi(theta, src), 1e-6, 1e-9);

  double tth[3] = {0.3, -0.2, 0.5}, tsrc[N];
  for (int i = 0; i < N; i++) tsrc[i] = 0.1 * (i - 3);
  double jt = __enzyme_fwddiff((void *)qoi, enzyme_dup, theta, tth, enzyme_dup, src, tsrc);
  CHECK_CLOSE("qoi tangent vs reverse", jt, dotv(dth, tth, 3) + dotv(dsrc, tsrc, N), 1e-10,
              1e-13);

  /* split mode of solve_into with a seed on x, against the joint reverse of sum_solve */
  double x[N] = {0}, xb[N];
  double sth[3] = {0}, ssrc[N] = {0};
  void *tape = __enzyme_augmentfwd((void *)solve_into, enzyme_dup, theta, sth, enzyme_dup, src,
                                   ssrc, enzyme_dup, x, xb);
  for (int i = 0; i < N; i++) xb[i] = 2.0 * x[i];
  __enzyme_reverse((void *)solve_into, enzyme_dup, theta, sth, enzyme_dup, src, ssrc,
                   enzyme_dup, x, xb, tape);
  double jth[3] = {0}, jsrc[N] = {0};
  __enzyme_autodiff((void *)sum_solve, enzyme_dup, theta, jth, enzyme_dup, src, jsrc);
  CHECK_ARRAY_CLOSE("split dtheta vs joint", sth, jth, 3, 1e-10, 1e-13);
  CHECK_ARRAY_CLOSE("split dsrc vs joint", ssrc, jsrc, N, 1e-10, 1e-13);
  CHECK_ARRAY_FD("d sum x^2 / dtheta", theta, 3, jth, 1e-6, sum_solve(theta, src), 1e-6, 1e-9);
  return check_report();
}
