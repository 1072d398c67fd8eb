// Found by ferment-fuzz (guard variant, seed 900019, reduced): in a loop, a quotient by
// (double)((i + 1) % 2) * (...) computed before an isfinite guard, and used only by a call
// (tanh) on the guard's finite side: the branch discards the infinite quotient on every other
// iteration, and reverse mode multiplied its zero adjoint by the infinite partial (NaN in the
// gradient at -O0 and -O3; at -O1/-O2 LLVM moved the division into the branch). The generated
// oracles: forward J v against central differences on a stable path, <J v, w> against
// <v, J^T w>, split mode, -O0 against -O2.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"
#include <stdlib.h>

#define N 4
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
void *__enzyme_augmentfwd(void *, ...);
Grad __enzyme_reverse(void *, ...);

double f(struct S *sp, double *p0, int k, double s0, double s2, double s1, int n) {
  double t0 = s0;
  double g2[N][N];
  for (int q = 0; q < N; q++) for (int r = 0; r < N; r++) g2[q][r] = s2 * (0.1 * q - 0.2 * r) + 0.05 * r;
  double a0[N];
  for (int q = 0; q < N; q++) a0[q] = s1 * (0.5 + 0.1 * q);
  for (int i1 = 0; i1 < N; i1++) {
    { double gz2 = (double)((i1 + 1) % 2) * (1.0 + 0.5 * tanh(atan2(sp->u, tan(1.2 * tanh((-0.615))) + 0.0625))); double gr2 = -(1.25 + sin(s0)) / gz2; sp->u = 0.129 * sp->u + 0.123 * ((isfinite(gr2)) ? tanh(gr2 + pow(hypot(1.0, (-1.319)), 2.0)) : atan(acos(0.9 * tanh(pow((2.0 + sin((0.25 * i1 + 0.125))), 0.5))))); }
  }
  double r = sp->u + sp->v[0] + sp->v[1] + t0 + a0[1] + a0[N - 1] + g2[N - 1][0] + g2[1][N - 1] + sp->v[0];
  return r;
}

// The same functions again, recording every branch decision for the finite-difference
// oracle (never differentiated).

double f_path(struct S *sp, double *p0, int k, double s0, double s2, double s1, int n) {
  double t0 = s0;
  double g2[N][N];
  for (int q = 0; q < N; q++) for (int r = 0; r < N; r++) g2[q][r] = s2 * (0.1 * q - 0.2 * r) + 0.05 * r;
  double a0[N];
  for (int q = 0; q < N; q++) a0[q] = s1 * (0.5 + 0.1 * q);
  for (int i1 = 0; i1 < N; i1++) {
    { double gz2 = (double)((i1 + 1) % 2) * (1.0 + 0.5 * tanh(path_atan2(sp->u, tan(1.2 * tanh((-0.615))) + 0.0625))); double gr2 = -(1.25 + sin(s0)) / gz2; sp->u = 0.129 * sp->u + 0.123 * (path_br(isfinite(gr2)) ? tanh(gr2 + pow(hypot(1.0, (-1.319)), 2.0)) : atan(acos(0.9 * tanh(pow((2.0 + sin((0.25 * i1 + 0.125))), 0.5))))); }
  }
  double r = sp->u + sp->v[0] + sp->v[1] + t0 + a0[1] + a0[N - 1] + g2[N - 1][0] + g2[1][N - 1] + sp->v[0];
  return r;
}

#define OMP 0
#define SINGLE 0
#define BREV_PRINT
#define FD_H1 1e-5
#define FD_H2 1e-6
#define FD_AGREE 1e-6
#define FD_RTOL 1e-5
#define FD_ATOL 1e-7
#define NX 10
#define NY 8
static const double X0[NX] = {0.835, 0.589, -0.088, 0.43, -0.734, 0.526, 0.284, -0.667, 0.441, -0.801};
static const double V[NX] = {0.439, -0.576, 0.428, 0.112, -0.886, -0.572, -0.454, -0.417, -0.789, 0.357};
static double XA[NX + 1];
static const double P[NX] = {-0.667, 0.2, 0.782, 0.517, 0.504, 0.055, -0.881, 0.905, 0.06, 0.286};
static const double W[NY] = {1.0, -0.613, -0.107, -0.472, 0.025, -0.704, 0.73, -0.765};
static const int k_c = 1;
static const int n_c = 4;

static void F(const double *X, double *Y) {
  struct S sp = {X[0], 2, {X[1], X[2]}};
  double p0[N];
  memcpy(p0, X + 3, sizeof p0);
  Y[0] = f_path(&sp, p0, k_c, X[7], X[8], X[9], n_c);
  Y[1] = sp.u;
  Y[2] = sp.v[0];
  Y[3] = sp.v[1];
  memcpy(Y + 4, p0, sizeof p0);
  (void)X;
}

#include "fuzz_oracle.h"

/* Every AD mode at XA, checked against each other: the Jacobian-vector product J v, the
   vector-Jacobian product J^T w and <v, J^T w> with its magnitude. */
static void ad(double *JV, double *JTW, double *rhs_out, double *mag_out) {
  double JTW2[NX + 1];
  (void)JTW2;
  {
    struct S sp = {XA[0], 2, {XA[1], XA[2]}};
    struct S dsp = {V[0], 0, {V[1], V[2]}};
    double p0[N], dp0[N];
    memcpy(p0, XA + 3, sizeof p0);
    memcpy(dp0, V + 3, sizeof dp0);
    JV[0] = __enzyme_fwddiff((void *)f, &sp, &dsp, enzyme_dupnoneed, p0, dp0, k_c, enzyme_dup, XA[7], V[7], enzyme_dup, XA[8], V[8], enzyme_dup, XA[9], V[9], n_c);
    JV[1] = dsp.u;
    JV[2] = dsp.v[0];
    JV[3] = dsp.v[1];
    memcpy(JV + 4, dp0, sizeof dp0);
  }
  {
    struct S sp = {XA[0], 2, {XA[1], XA[2]}};
    struct S dsp = {W[1], 0, {W[2], W[3]}};
    double p0[N], dp0[N];
    memcpy(p0, XA + 3, sizeof p0);
    memcpy(dp0, W + 4, sizeof dp0);
    Grad g = __enzyme_autodiff((void *)f, &sp, &dsp, enzyme_dupnoneed, p0, dp0, k_c, enzyme_out, XA[7], enzyme_out, XA[8], enzyme_out, XA[9], n_c);
    double g0 = g.d[0];
    double g1 = g.d[1];
    double g2 = g.d[2];
    JTW[0] = dsp.u;
    JTW[1] = dsp.v[0];
    JTW[2] = dsp.v[1];
    memcpy(JTW + 3, dp0, sizeof dp0);
    JTW[7] = g0;
    JTW[8] = g1;
    JTW[9] = g2;
  }
  {
    struct S sp = {XA[0], 2, {XA[1], XA[2]}};
    struct S dsp = {W[1], 0, {W[2], W[3]}};
    double p0[N], dp0[N];
    memcpy(p0, XA + 3, sizeof p0);
    memcpy(dp0, W + 4, sizeof dp0);
    void *tape = __enzyme_augmentfwd((void *)f, &sp, &dsp, p0, dp0, k_c, enzyme_out, XA[7], enzyme_out, XA[8], enzyme_out, XA[9], n_c);
    Grad g = __enzyme_reverse((void *)f, &sp, &dsp, p0, dp0, k_c, enzyme_out, XA[7], enzyme_out, XA[8], enzyme_out, XA[9], n_c, 1.0, tape);
    double g0 = g.d[0];
    double g1 = g.d[1];
    double g2 = g.d[2];
    JTW2[0] = dsp.u;
    JTW2[1] = dsp.v[0];
    JTW2[2] = dsp.v[1];
    memcpy(JTW2 + 3, dp0, sizeof dp0);
    JTW2[7] = g0;
    JTW2[8] = g1;
    JTW2[9] = g2;
  }
  {
    double JB[2][NY];
    struct S sp = {XA[0], 2, {XA[1], XA[2]}};
    struct S d0sp = {1.0 * V[0], 0, {1.0 * V[1], 1.0 * V[2]}};
    struct S d1sp = {-0.5 * V[0], 0, {-0.5 * V[1], -0.5 * V[2]}};
    double p0[N];
    memcpy(p0, XA + 3, sizeof p0);
    double d0p0[N];
    for (int i = 0; i < N; i++) d0p0[i] = 1.0 * V[3 + i];
    double d1p0[N];
    for (int i = 0; i < N; i++) d1p0[i] = -0.5 * V[3 + i];
    Lanes r = __enzyme_fwddiff_lanes((void *)f, enzyme_width, 2, &sp, &d0sp, &d1sp, enzyme_dupnoneed, p0, d0p0, d1p0, k_c, enzyme_dup, XA[7], 1.0 * V[7], -0.5 * V[7], enzyme_dup, XA[8], 1.0 * V[8], -0.5 * V[8], enzyme_dup, XA[9], 1.0 * V[9], -0.5 * V[9], n_c);
    for (int k = 0; k < 2; k++) JB[k][0] = r.d[k];
    JB[0][1] = d0sp.u;
    JB[0][2] = d0sp.v[0];
    JB[0][3] = d0sp.v[1];
    JB[1][1] = d1sp.u;
    JB[1][2] = d1sp.v[0];
    JB[1][3] = d1sp.v[1];
    memcpy(JB[0] + 4, d0p0, sizeof d0p0);
    memcpy(JB[1] + 4, d1p0, sizeof d1p0);
    const double factor[2] = {1.0, -0.5};
    for (int k = 0; k < 2; k++)
      for (int i = 0; i < NY; i++)
        CHECK_CLOSE("batched forward lane vs scaled J v", JB[k][i], factor[k] * JV[i], SINGLE ? 1e-6 : 1e-12, 1e-14 * scale);
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
  for (int i = 0; i < NX; i++)
    CHECK_CLOSE("split J^T w vs combined J^T w", JTW2[i], JTW[i], SINGLE ? 1e-6 : 1e-10, 1e-12 * scale);
  *rhs_out = rhs;
  *mag_out = mag;
}

