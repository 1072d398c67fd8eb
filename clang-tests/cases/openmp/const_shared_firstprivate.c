// CFLAGS: -fopenmp
// The program of openmp/error_const_shared_pointer.c (fuzzer, omp variant, seed 420179) with the
// fix its error suggests: the enzyme_const array is firstprivate in both parallel constructs, so
// each region gets the pointer by value and knows it is constant. Oracles: central finite
// differences of the primal along a random direction, forward against reverse (check.h), at every
// level; the constant array must come back unchanged.
#include "check.h"
#include <stdlib.h>

#define N 3
struct S {
  double u;
  int tag;
  double v[2];
};
struct P2 {
  double x, y;
};
#include "fuzz_path.h"
static const double tbl[8] = {0.5, -0.25, 1.5, 0.75, -1.0, 0.125, 2.0, -0.5};
static double gscratch;
extern int enzyme_const, enzyme_dup, enzyme_dupnoneed, enzyme_out;
typedef struct {
  double d[3];
} Grad;
Grad __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_width;
typedef struct {
  double d[2];
} Lanes;
Lanes __enzyme_fwddiff_lanes(void *, ...);

double f(const double *p0, double s2, int k, double *p1, double s1, int n, double s0) {
  double t0 = s0;
  double t1 = s0;
  #pragma omp parallel for schedule(dynamic) firstprivate(p0)
  for (int i3 = 0; i3 < n; i3++) {
    p1[i3] = 0.214 * p1[i3] + 0.209 * cos((((tan(1.2 * tanh(p0[i3]))) < (s1)) ? p0[N - 1 - i3] : t0));
  }
  {
    double r5 = 0.0;
#pragma omp parallel for reduction(+ : r5) schedule(dynamic) firstprivate(p0)
    for (int i5 = 0; i5 < N; i5++)
      r5 += 0.798 * tanh(p0[(i5 + 1) % N]);
    t1 = -0.806 * t1 + 0.25 * r5;
  }
  double r = t0 + t1 + (0.728 - t1);
  return r;
}

// The same functions again, recording every branch decision for the finite-difference
// oracle (never differentiated).

double f_path(const double *p0, double s2, int k, double *p1, double s1, int n, double s0) {
  double t0 = s0;
  double t1 = s0;
  for (int i3 = 0; i3 < n; i3++) {
    p1[i3] = 0.214 * p1[i3] + 0.209 * cos((path_br((tan(1.2 * tanh(p0[i3]))) < (s1)) ? p0[N - 1 - i3] : t0));
  }
  {
    double r5 = 0.0;
    for (int i5 = 0; i5 < N; i5++)
      r5 += 0.798 * tanh(p0[(i5 + 1) % N]);
    t1 = -0.806 * t1 + 0.25 * r5;
  }
  double r = t0 + t1 + (0.728 - t1);
  return r;
}

#define OMP 1
#include <omp.h>
#define SINGLE 0
#define BREV_PRINT
#define FD_H1 1e-5
#define FD_H2 1e-6
#define FD_AGREE 1e-6
#define FD_RTOL 1e-5
#define FD_ATOL 1e-7
#define NX 6
#define NY 4
static const double X0[NX] = {1.266, 0.468, 0.48, -0.051, 0.026, -0.91};
static const double V[NX] = {-0.031, 0.411, -0.9, 0.918, -0.588, -0.6};
static double XA[NX + 1];
static const double P[NX] = {-0.31, -0.993, 0.637, 0.766, 0.853, 0.265};
static const double W[NY] = {1.0, 0.899, -0.012, 0.875};
static const double p0_c[N] = {-0.196, 0.099, 0.05};
static const int k_c = 2;
static const int n_c = 1;

static void F(const double *X, double *Y) {
  double p1[N];
  memcpy(p1, X + 1, sizeof p1);
  Y[0] = f_path(p0_c, X[0], k_c, p1, X[4], n_c, X[5]);
  memcpy(Y + 1, p1, sizeof p1);
  (void)X;
}

#include "fuzz_oracle.h"

/* Every AD mode at XA, checked against each other: the Jacobian-vector product J v, the
   vector-Jacobian product J^T w and <v, J^T w> with its magnitude. */
static void ad(double *JV, double *JTW, double *rhs_out, double *mag_out) {
  double JTW2[NX + 1];
  (void)JTW2;
  {
    double p1[N], dp1[N];
    memcpy(p1, XA + 1, sizeof p1);
    memcpy(dp1, V + 1, sizeof dp1);
    JV[0] = __enzyme_fwddiff((void *)f, enzyme_const, p0_c, XA[0], V[0], k_c, enzyme_dup, p1, dp1, enzyme_dup, XA[4], V[4], n_c, enzyme_dup, XA[5], V[5]);
    memcpy(JV + 1, dp1, sizeof dp1);
  }
  {
    double p1[N], dp1[N];
    memcpy(p1, XA + 1, sizeof p1);
    memcpy(dp1, W + 1, sizeof dp1);
    Grad g = __enzyme_autodiff((void *)f, enzyme_const, p0_c, XA[0], k_c, enzyme_dup, p1, dp1, enzyme_out, XA[4], n_c, enzyme_out, XA[5]);
    double g0 = g.d[0];
    double g1 = g.d[1];
    double g2 = g.d[2];
    JTW[0] = g0;
    memcpy(JTW + 1, dp1, sizeof dp1);
    JTW[4] = g1;
    JTW[5] = g2;
  }
  double lhs = 0.0, rhs = 0.0, mag = 0.0;
  for (int i = 0; i < NY; i++) {
    lhs += JV[i] * W[i];
    mag += fabs(JV[i] * W[i]);
  }
  for (int i = 0; i < NX; i++) {
    rhs += V[i] * JTW[i];
    mag += fabs(V[i] * JTW[i]);
  }
  double dot_tol = 1e-9 * mag;
#if SINGLE
  frt_last = frt_bound();
  dot_tol = 1e-6 * mag + (frt_last >= 0.0 ? 8.0 * 0x1p-24 * frt_last : 0.0);
#endif
  CHECK_CLOSE("dot: <v, J^T w> (reverse) vs <J v, w> (forward)", rhs, lhs, 0.0, dot_tol + 1e-12);
  *rhs_out = rhs;
  *mag_out = mag;
}
