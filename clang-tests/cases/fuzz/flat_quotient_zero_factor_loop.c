// Found by ferment-fuzz (clamp variant, seed 2710064, reduced from 3 to 2 statements): in a loop,
// cz = (double)((i + 1) % 2) * g(s) is exactly 0 on every other iteration and feeds
// sqrt(cz) - atan(1.547 / cz). atan(c / cz) is pi/2 there (flat), so its adjoint atan'(inf) = 0
// meets the quotient's infinite partial -c / cz^2; the guard on that product tested the adjoint of
// the tanh above it instead of its own (shim::share_guard_tests shared the chain's first test), so
// scalar reverse and split mode gave NaN at -O1..-O3 (main 48a3872), where batched reverse mode
// and forward mode were finite. Guards of values whose adjoint a flat partial may zero now keep
// their own test (rules::keep_own_test). The generated oracles: forward J v against central
// differences on a stable path, <J v, w> against <v, J^T w>, batched lanes, split mode, at
// -O0..-O3.
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
  double d[2];
} Grad;
Grad __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_width;
typedef struct {
  double d[4];
} Lanes;
Lanes __enzyme_fwddiff_lanes(void *, ...);
#ifndef FUZZ_NO_BREV
typedef struct {
  double d[6];
} GradLanes;
GradLanes __enzyme_autodiff_lanes(void *, ...);
GradLanes __enzyme_reverse_lanes(void *, ...);
#endif
void *__enzyme_augmentfwd(void *, ...);
Grad __enzyme_reverse(void *, ...);

double f(int n, double *p0, const double *p1, double s1, double s2, double s0, int k) {
  double t0 = s2;
  double t1 = s1;
  for (int i0 = 0; i0 < n; i0++) {
    { double cz1 = (double)((i0 + 1) % 2) * (1.0 + 0.5 * erf(pow((1.5 + tanh(s1)), 0.5 * tanh(t1)))); t0 = -0.053 * t0 + 0.125 * tanh(sqrt(cz1) - atan(1.547 / cz1) + atan(tan(1.2 * tanh(s2)))); }
  }
  double r = t0 + t1 + acosh(1.0 + (1.0 + fabs((-1.511))));
  return r;
}

// The same functions again, recording every branch decision for the finite-difference
// oracle (never differentiated).

double f_path(int n, double *p0, const double *p1, double s1, double s2, double s0, int k) {
  double t0 = s2;
  double t1 = s1;
  for (int i0 = 0; i0 < n; i0++) {
    { double cz1 = (double)((i0 + 1) % 2) * (1.0 + 0.5 * erf(pow((1.5 + tanh(s1)), 0.5 * tanh(t1)))); t0 = -0.053 * t0 + 0.125 * tanh(sqrt(cz1) - atan(1.547 / cz1) + atan(tan(1.2 * tanh(s2)))); }
  }
  double r = t0 + t1 + acosh(1.0 + (1.0 + path_fabs((-1.511))));
  return r;
}

#define OMP 0
#ifndef FUZZ_NO_BREV
static void f_ret(int n, double *p0, const double *p1, double s1, double s2, double s0, int k, double *ret) { *ret = f(n, p0, p1, s1, s2, s0, k); }
#endif

#define SINGLE 0
#ifndef FUZZ_NO_BREV
#define BREV_PRINT printf("brev: checked width 3\n");
#else
#define BREV_PRINT printf("brev: left out\n");
#endif
#define FD_H1 1e-5
#define FD_H2 1e-6
#define FD_AGREE 1e-6
#define FD_RTOL 1e-5
#define FD_ATOL 1e-7
#define NX 5
#define NY 4
static const double X0[NX] = {-0.677, -0.551, 1.109, -1.152, 1.456};
static const double V[NX] = {0.667, -0.713, -0.441, 0.866, -0.801};
static double XA[NX + 1];
static const double P[NX] = {-0.742, -0.35, -0.027, -0.018, -0.151};
static const double W[NY] = {1.0, -0.275, -0.719, -0.955};
static const int n_c = 3;
static const double p1_c[N] = {0.493, 0.228, -0.397};
static const double s2_c = -1.287;
static const int k_c = 3;

static void F(const double *X, double *Y) {
  double p0[N];
  memcpy(p0, X + 0, sizeof p0);
  Y[0] = f_path(n_c, p0, p1_c, X[3], s2_c, X[4], k_c);
  memcpy(Y + 1, p0, sizeof p0);
  (void)X;
}

#include "fuzz_oracle.h"

/* Every AD mode at XA, checked against each other: the Jacobian-vector product J v, the
   vector-Jacobian product J^T w and <v, J^T w> with its magnitude. */
static void ad(double *JV, double *JTW, double *rhs_out, double *mag_out) {
  double JTW2[NX + 1];
  (void)JTW2;
  {
    double p0[N], dp0[N];
    memcpy(p0, XA + 0, sizeof p0);
    memcpy(dp0, V + 0, sizeof dp0);
    JV[0] = __enzyme_fwddiff((void *)f, n_c, enzyme_dup, p0, dp0, enzyme_const, p1_c, XA[3], V[3], enzyme_const, s2_c, enzyme_dup, XA[4], V[4], k_c);
    memcpy(JV + 1, dp0, sizeof dp0);
  }
  {
    double p0[N], dp0[N];
    memcpy(p0, XA + 0, sizeof p0);
    memcpy(dp0, W + 1, sizeof dp0);
    Grad g = __enzyme_autodiff((void *)f, n_c, enzyme_dup, p0, dp0, enzyme_const, p1_c, XA[3], enzyme_const, s2_c, enzyme_out, XA[4], k_c);
    double g0 = g.d[0];
    double g1 = g.d[1];
    memcpy(JTW + 0, dp0, sizeof dp0);
    JTW[3] = g0;
    JTW[4] = g1;
  }
  {
    double p0[N], dp0[N];
    memcpy(p0, XA + 0, sizeof p0);
    memcpy(dp0, W + 1, sizeof dp0);
    void *tape = __enzyme_augmentfwd((void *)f, n_c, enzyme_dup, p0, dp0, enzyme_const, p1_c, XA[3], enzyme_const, s2_c, enzyme_out, XA[4], k_c);
    Grad g = __enzyme_reverse((void *)f, n_c, enzyme_dup, p0, dp0, enzyme_const, p1_c, XA[3], enzyme_const, s2_c, enzyme_out, XA[4], k_c, 1.0, tape);
    double g0 = g.d[0];
    double g1 = g.d[1];
    memcpy(JTW2 + 0, dp0, sizeof dp0);
    JTW2[3] = g0;
    JTW2[4] = g1;
  }
  {
    double JB[4][NY];
    double p0[N];
    memcpy(p0, XA + 0, sizeof p0);
    double d0p0[N];
    for (int i = 0; i < N; i++) d0p0[i] = 1.0 * V[0 + i];
    double d1p0[N];
    for (int i = 0; i < N; i++) d1p0[i] = -0.5 * V[0 + i];
    double d2p0[N];
    for (int i = 0; i < N; i++) d2p0[i] = 2.0 * V[0 + i];
    double d3p0[N];
    for (int i = 0; i < N; i++) d3p0[i] = 0.25 * V[0 + i];
    Lanes r = __enzyme_fwddiff_lanes((void *)f, enzyme_width, 4, n_c, enzyme_dup, p0, d0p0, d1p0, d2p0, d3p0, enzyme_const, p1_c, XA[3], 1.0 * V[3], -0.5 * V[3], 2.0 * V[3], 0.25 * V[3], enzyme_const, s2_c, enzyme_dup, XA[4], 1.0 * V[4], -0.5 * V[4], 2.0 * V[4], 0.25 * V[4], k_c);
    for (int k = 0; k < 4; k++) JB[k][0] = r.d[k];
    memcpy(JB[0] + 1, d0p0, sizeof d0p0);
    memcpy(JB[1] + 1, d1p0, sizeof d1p0);
    memcpy(JB[2] + 1, d2p0, sizeof d2p0);
    memcpy(JB[3] + 1, d3p0, sizeof d3p0);
    const double factor[4] = {1.0, -0.5, 2.0, 0.25};
    for (int k = 0; k < 4; k++)
      for (int i = 0; i < NY; i++)
        CHECK_CLOSE("batched forward lane vs scaled J v", JB[k][i], factor[k] * JV[i], SINGLE ? 1e-6 : 1e-12, 1e-14 * scale);
  }
#ifndef FUZZ_NO_BREV
  {
    double JB[3][NX + 1];
    double p0[N];
    memcpy(p0, XA + 0, sizeof p0);
    double d0p0[N];
    for (int i = 0; i < N; i++) d0p0[i] = 1.0 * W[1 + i];
    double d1p0[N];
    for (int i = 0; i < N; i++) d1p0[i] = -0.5 * W[1 + i];
    double d2p0[N];
    for (int i = 0; i < N; i++) d2p0[i] = 2.0 * W[1 + i];
    double ret;
    double dret0 = 1.0 * W[0];
    double dret1 = -0.5 * W[0];
    double dret2 = 2.0 * W[0];
    GradLanes g = __enzyme_autodiff_lanes((void *)f_ret, enzyme_width, 3, n_c, enzyme_dup, p0, d0p0, d1p0, d2p0, enzyme_const, p1_c, XA[3], enzyme_const, s2_c, enzyme_out, XA[4], k_c, enzyme_dupnoneed, &ret, &dret0, &dret1, &dret2);
    memcpy(JB[0] + 0, d0p0, sizeof d0p0);
    memcpy(JB[1] + 0, d1p0, sizeof d1p0);
    memcpy(JB[2] + 0, d2p0, sizeof d2p0);
    JB[0][3] = g.d[0];
    JB[1][3] = g.d[1];
    JB[2][3] = g.d[2];
    JB[0][4] = g.d[3];
    JB[1][4] = g.d[4];
    JB[2][4] = g.d[5];
    const double factor[3] = {1.0, -0.5, 2.0};
    for (int k = 0; k < 3; k++)
      for (int i = 0; i < NX; i++)
        CHECK_CLOSE("batched reverse lane vs scaled J^T w", JB[k][i], factor[k] * JTW[i], SINGLE ? 1e-6 : 1e-12, 1e-14 * scale);
  }
#endif
#ifndef FUZZ_NO_BREV
  {
    double JB[3][NX + 1];
    double p0[N];
    memcpy(p0, XA + 0, sizeof p0);
    double d0p0[N];
    for (int i = 0; i < N; i++) d0p0[i] = 1.0 * W[1 + i];
    double d1p0[N];
    for (int i = 0; i < N; i++) d1p0[i] = -0.5 * W[1 + i];
    double d2p0[N];
    for (int i = 0; i < N; i++) d2p0[i] = 2.0 * W[1 + i];
    double ret;
    double dret0 = 1.0 * W[0];
    double dret1 = -0.5 * W[0];
    double dret2 = 2.0 * W[0];
    void *tape = __enzyme_augmentfwd((void *)f_ret, enzyme_width, 3, n_c, enzyme_dup, p0, d0p0, d1p0, d2p0, enzyme_const, p1_c, XA[3], enzyme_const, s2_c, enzyme_out, XA[4], k_c, enzyme_dup, &ret, &dret0, &dret1, &dret2);
    GradLanes g = __enzyme_reverse_lanes((void *)f_ret, enzyme_width, 3, n_c, enzyme_dup, p0, d0p0, d1p0, d2p0, enzyme_const, p1_c, XA[3], enzyme_const, s2_c, enzyme_out, XA[4], k_c, enzyme_dup, &ret, &dret0, &dret1, &dret2, tape);
    memcpy(JB[0] + 0, d0p0, sizeof d0p0);
    memcpy(JB[1] + 0, d1p0, sizeof d1p0);
    memcpy(JB[2] + 0, d2p0, sizeof d2p0);
    JB[0][3] = g.d[0];
    JB[1][3] = g.d[1];
    JB[2][3] = g.d[2];
    JB[0][4] = g.d[3];
    JB[1][4] = g.d[4];
    JB[2][4] = g.d[5];
    const double factor[3] = {1.0, -0.5, 2.0};
    for (int k = 0; k < 3; k++)
      for (int i = 0; i < NX; i++)
        CHECK_CLOSE("batched split reverse lane vs scaled J^T w", JB[k][i], factor[k] * JTW[i], SINGLE ? 1e-6 : 1e-12, 1e-14 * scale);
  }
#endif
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
  for (int i = 0; i < NX; i++)
    CHECK_CLOSE("split J^T w vs combined J^T w", JTW2[i], JTW[i], SINGLE ? 1e-6 : 1e-10, 1e-12 * scale);
  *rhs_out = rhs;
  *mag_out = mag;
}

