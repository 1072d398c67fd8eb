// Fixed (session 24, shadow.rs: a malloc block's shadow asks for the primal's usable size).
// Was: heap corruption at -O2 in forward mode over split mode.
// ferment-fuzz --variant hvp,user, seed 24630006 (not reduced: the run's reducer had not
// finished by the end of the session). At -O2 the program aborts ("malloc(): invalid size
// (unsorted)"); with -DFUZZ_NO_HVP (no forward-over-reverse checks) all 113 checks pass, and
// with only the forward-over-split block (GRAD2 in hvp_checks) removed all 174 checks pass:
// the forward derivative of GRAD2 (a function calling __enzyme_augmentfwd + __enzyme_reverse
// on the user-variant kernel f) writes outside a heap block. Reproduce:
// `ferment-fuzz show 24630006 --variant hvp,user`, compile at -O2 with the plugin.
#include "check.h"
#include <stdlib.h>

#define N 6
struct S {
  double u;
  int tag;
  double v[2];
};
struct P2 {
  double x, y;
};
static double *gptr;
#include "fuzz_path.h"
static const double tbl[8] = {0.5, -0.25, 1.5, 0.75, -1.0, 0.125, 2.0, -0.5};
static double gscratch;
extern int enzyme_const, enzyme_dup, enzyme_dupnoneed, enzyme_out;
typedef struct {
  double d[3];
} Grad;
Grad __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);
extern int enzyme_width;
void __enzyme_fwddiff_lanes(void *, ...);
#ifndef FUZZ_NO_BREV
typedef struct {
  double d[6];
} GradLanes;
GradLanes __enzyme_autodiff_lanes(void *, ...);
GradLanes __enzyme_reverse_lanes(void *, ...);
#endif
void *__enzyme_augmentfwd(void *, ...);
Grad __enzyme_reverse(void *, ...);

static inline void h0(double *p, int n, double s) {
  for (int j = 0; j < n; j++) {
    for (int i0 = n - 1; i0 >= 0; i0--) {
      p[((int)(N * (0.5 + 0.4 * tanh(s))))] = -0.425 * p[((int)(N * (0.5 + 0.4 * tanh(s))))] + 0.509 * sin(sqrt(cosh(tanh(p[(j + 1) % N]))));
    }
    p[N - 1 - j] = -0.341 * p[N - 1 - j] + 0.233 * atan(pow((1.25 + cos(log2((1.25 + cos(((0.25 * j + 0.125) / (2.0 + sin((0.1 * (double)((j * n) % 7)))))))))), 0.5 * tanh((p[j] + 0.1 * ceil(fma((0.25 * j + 0.125), s, s))))));
    p[(j + j) % N] = -0.14 * p[(j + j) % N] + 0.163 * erf(tan(1.2 * tanh((((pow((1.5 + tanh(s)), 0.5 * tanh(s))) > (erfc(s))) ? s : p[j]))));
  }
}

void f(double s1, const double *p2, double s0, int n, double *p0, double s2, double *p1) {
  double t0 = s0;
  struct S st = {s1, 1, {0.5, -0.25}};
  for (int w5 = 0; w5 < 3 * N && (fabs(st.u) > 0.27); w5++) {
    st.u *= 0.75;
  }
  {
    double *u6 = (double *)malloc(N * sizeof(double)), *w6 = (double *)malloc(N * sizeof(double));
    for (int q6 = 0; q6 < N; q6++) u6[q6] = 0.5 * tbl[q6] + 0.125;
    for (int t6 = 0; t6 < n; t6++) {
      for (int j6 = 0; j6 < N; j6++) w6[j6] = 0.345 * u6[j6] + 0.627 * atan(pow(exp(0.5 * tanh(acosh(1.0 + (2.0 + sin(tbl[1]))))), 0.5 * tanh(fmin(s0, u6[(j6 + 1) % N]))));
      { double *sw6 = u6; u6 = w6; w6 = sw6; }
    }
    st.v[1] = -0.645 * st.v[1] + 0.409 * (u6[0] + 0.5 * u6[N - 1] - 0.25 * w6[1]);
    free(u6); free(w6);
  }
  t0 = st.u;
  p0[2] = -0.667 * p0[2] + 0.677 * tanh(atan2(ldexp(p1[0], -1), st.v[1] + 0.0625));
  for (int i7 = 0; i7 < n; i7++) {
    t0 += 0.0325 * sin(acos(0.9 * tanh(s1)));
    {
      double b8 = ((st.u + 0.1 * round(p0[i7]))), py8 = 0.0; int bi8 = 0;
      for (int i8 = 0; i8 < n; i8++) {
        double c8 = ldexp(pow(cosh(tanh(st.u)), 0.5 * tanh(p2[(i8 + i7) % N])), -1);
        if ((c8 > 1.9)) break;
        b8 = fmin(b8, c8);
      }
      t0 = -0.713 * t0 + 0.104 * tanh(b8) + 0.125 * p0[bi8] + 0.03125 * bi8;
    }
    h0(p1, n, st.v[0]);
  }
  st.u = (sqrt(hypot(1.0, fabs(1.748))) * ((-0.608) - acosh(1.0 + hypot(1.0, t0))));
  if (n > 3) {
    st.v[1] = -0.322 * st.v[1] + 0.631 * erf(pow((2.0 + sin(st.v[1])), 0.5));
    for (int i9 = 0; i9 < N; i9++) {
      st.u = 0.614 * st.u + 0.654 * sin(pow(cosh(tanh(p2[i9])), 1.5));
    }
  } else {
    st.v[1] = s2;
    gptr = (double *)p2; t0 = -0.048 * t0 + 0.522 * gptr[2] * erf(pow(exp(0.5 * tanh(fmin(st.v[1], st.v[0]))), 2.0));
  }
  p0[2] = -0.367 * p0[2] + 0.147 * sin((asin(0.9 * tanh(fabs(tbl[1]))) - ((st.u / exp(0.5 * tanh(st.v[0]))) + 0.1 * round(s0))));
  gptr = p1; gptr[1] = 0.13 * gptr[1] + 0.454 * erf(pow(hypot(1.0, (1.418 - s1)), 0.5 * tanh(s0)));
  {
    int i12 = -1;
    while (++i12 < n) {
      if (i12 % 3 == 1) continue;
      for (int i13 = 1; i13 < N; i13++) {
        p0[i13] = 0.61 * p0[i13 - 1] + 0.197 * sin(t0);
      }
      if ((p2[i12] > 1.2)) break;
    }
  }
  p0[0] += 0.5 * (t0 + st.u + st.v[0] + st.v[1] + (1.547 / (1.5 + tanh(s2))));
}

// The same functions again, recording every branch decision for the finite-difference
// oracle (never differentiated).

static inline void h0_path(double *p, int n, double s) {
  for (int j = 0; j < n; j++) {
    for (int i0 = n - 1; i0 >= 0; i0--) {
      p[path_bri((int)(N * (0.5 + 0.4 * tanh(s))))] = -0.425 * p[path_bri((int)(N * (0.5 + 0.4 * tanh(s))))] + 0.509 * sin(sqrt(cosh(tanh(p[(j + 1) % N]))));
    }
    p[N - 1 - j] = -0.341 * p[N - 1 - j] + 0.233 * atan(pow((1.25 + cos(log2((1.25 + cos(((0.25 * j + 0.125) / (2.0 + sin((0.1 * (double)((j * n) % 7)))))))))), 0.5 * tanh((p[j] + 0.1 * path_ceil(fma((0.25 * j + 0.125), s, s))))));
    p[(j + j) % N] = -0.14 * p[(j + j) % N] + 0.163 * erf(tan(1.2 * tanh((path_br((pow((1.5 + tanh(s)), 0.5 * tanh(s))) > (erfc(s))) ? s : p[j]))));
  }
}

void f_path(double s1, const double *p2, double s0, int n, double *p0, double s2, double *p1) {
  double t0 = s0;
  struct S st = {s1, 1, {0.5, -0.25}};
  for (int w5 = 0; w5 < 3 * N && path_br(fabs(st.u) > 0.27); w5++) {
    st.u *= 0.75;
  }
  {
    double *u6 = (double *)malloc(N * sizeof(double)), *w6 = (double *)malloc(N * sizeof(double));
    for (int q6 = 0; q6 < N; q6++) u6[q6] = 0.5 * tbl[q6] + 0.125;
    for (int t6 = 0; t6 < n; t6++) {
      for (int j6 = 0; j6 < N; j6++) w6[j6] = 0.345 * u6[j6] + 0.627 * atan(pow(exp(0.5 * tanh(acosh(1.0 + (2.0 + sin(tbl[1]))))), 0.5 * tanh(path_fmin(s0, u6[(j6 + 1) % N]))));
      { double *sw6 = u6; u6 = w6; w6 = sw6; }
    }
    st.v[1] = -0.645 * st.v[1] + 0.409 * (u6[0] + 0.5 * u6[N - 1] - 0.25 * w6[1]);
    free(u6); free(w6);
  }
  t0 = st.u;
  p0[2] = -0.667 * p0[2] + 0.677 * tanh(path_atan2(ldexp(p1[0], -1), st.v[1] + 0.0625));
  for (int i7 = 0; i7 < n; i7++) {
    t0 += 0.0325 * sin(acos(0.9 * tanh(s1)));
    {
      double b8 = ((st.u + 0.1 * path_round(p0[i7]))), py8 = 0.0; int bi8 = 0;
      for (int i8 = 0; i8 < n; i8++) {
        double c8 = ldexp(pow(cosh(tanh(st.u)), 0.5 * tanh(p2[(i8 + i7) % N])), -1);
        if (path_br(c8 > 1.9)) break;
        b8 = path_fmin(b8, c8);
      }
      t0 = -0.713 * t0 + 0.104 * tanh(b8) + 0.125 * p0[bi8] + 0.03125 * bi8;
    }
    h0_path(p1, n, st.v[0]);
  }
  st.u = (sqrt(hypot(1.0, path_fabs(1.748))) * ((-0.608) - acosh(1.0 + hypot(1.0, t0))));
  if (n > 3) {
    st.v[1] = -0.322 * st.v[1] + 0.631 * erf(pow((2.0 + sin(st.v[1])), 0.5));
    for (int i9 = 0; i9 < N; i9++) {
      st.u = 0.614 * st.u + 0.654 * sin(pow(cosh(tanh(p2[i9])), 1.5));
    }
  } else {
    st.v[1] = s2;
    gptr = (double *)p2; t0 = -0.048 * t0 + 0.522 * gptr[2] * erf(pow(exp(0.5 * tanh(path_fmin(st.v[1], st.v[0]))), 2.0));
  }
  p0[2] = -0.367 * p0[2] + 0.147 * sin((asin(0.9 * tanh(path_fabs(tbl[1]))) - ((st.u / exp(0.5 * tanh(st.v[0]))) + 0.1 * path_round(s0))));
  gptr = p1; gptr[1] = 0.13 * gptr[1] + 0.454 * erf(pow(hypot(1.0, (1.418 - s1)), 0.5 * tanh(s0)));
  {
    int i12 = -1;
    while (++i12 < n) {
      if (i12 % 3 == 1) continue;
      for (int i13 = 1; i13 < N; i13++) {
        p0[i13] = 0.61 * p0[i13 - 1] + 0.197 * sin(t0);
      }
      if (path_br(p2[i12] > 1.2)) break;
    }
  }
  p0[0] += 0.5 * (t0 + st.u + st.v[0] + st.v[1] + (1.547 / (1.5 + tanh(s2))));
}

#define OMP 0
#define SINGLE 0
#ifndef FUZZ_NO_BREV
#define BREV_PRINT printf("brev: checked width 2\n");
#else
#define BREV_PRINT printf("brev: left out\n");
#endif
#define FD_H1 1e-5
#define FD_H2 1e-6
#define FD_AGREE 1e-6
#define FD_RTOL 1e-5
#define FD_ATOL 1e-7
#define NX 15
#define NY 12
static const double X0[NX] = {-1.346, -1.459, -0.89, -0.847, 0.571, 0.117, -0.398, -1.14, 1.357, -0.865, -0.175, -0.135, 0.699, 0.403, -0.178};
static const double V[NX] = {-0.049, -0.732, -0.32, 0.366, -0.037, 0.687, 0.456, -0.765, 0.213, -0.287, 0.506, 0.242, 0.295, -0.863, 0.513};
static double XA[NX + 1];
static const double P[NX] = {-0.73, 0.029, -0.425, 0.732, 0.976, -0.994, 0.331, -0.696, -0.817, -0.878, 0.842, -0.392, 0.356, 0.002, -0.066};
static const double W[NY] = {0.577, 0.215, -0.153, 0.364, 0.944, 0.314, -0.087, -0.536, -0.313, -0.311, -0.02, 0.168};
static const double p2_c[N] = {-0.582, 0.261, -0.846, -0.432, -0.471, -0.768};
static const int n_c = 4;

static void F(const double *X, double *Y) {
  double p0[N];
  memcpy(p0, X + 2, sizeof p0);
  double p1[N];
  memcpy(p1, X + 9, sizeof p1);
  f_path(X[0], p2_c, X[1], n_c, p0, X[8], p1);
  memcpy(Y + 0, p0, sizeof p0);
  memcpy(Y + 6, p1, sizeof p1);
  (void)X;
}

#ifndef FUZZ_NO_HVP
#define HVP 1
#endif
#include "fuzz_oracle.h"

#ifdef HVP
void __enzyme_fwddiff_hvp(void *, ...);
__attribute__((noinline)) static void GRAD(const double *XG, double *G) {
  {
    double p0[N], dp0[N];
    memcpy(p0, XG + 2, sizeof p0);
    memcpy(dp0, W + 0, sizeof dp0);
    double p1[N], dp1[N];
    memcpy(p1, XG + 9, sizeof p1);
    memcpy(dp1, W + 6, sizeof dp1);
    Grad g = __enzyme_autodiff((void *)f, enzyme_out, XG[0], enzyme_const, p2_c, enzyme_out, XG[1], n_c, p0, dp0, enzyme_out, XG[8], enzyme_dup, p1, dp1);
    double g0 = g.d[0];
    double g1 = g.d[1];
    double g2 = g.d[2];
    G[0] = g0;
    G[1] = g1;
    memcpy(G + 2, dp0, sizeof dp0);
    G[8] = g2;
    memcpy(G + 9, dp1, sizeof dp1);
  }
}

__attribute__((noinline)) static void GRAD2(const double *XG, double *G) {
  {
    double p0[N], dp0[N];
    memcpy(p0, XG + 2, sizeof p0);
    memcpy(dp0, W + 0, sizeof dp0);
    double p1[N], dp1[N];
    memcpy(p1, XG + 9, sizeof p1);
    memcpy(dp1, W + 6, sizeof dp1);
    void *tape = __enzyme_augmentfwd((void *)f, enzyme_out, XG[0], enzyme_const, p2_c, enzyme_out, XG[1], n_c, p0, dp0, enzyme_out, XG[8], enzyme_dup, p1, dp1);
    Grad g = __enzyme_reverse((void *)f, enzyme_out, XG[0], enzyme_const, p2_c, enzyme_out, XG[1], n_c, p0, dp0, enzyme_out, XG[8], enzyme_dup, p1, dp1, tape);
    double g0 = g.d[0];
    double g1 = g.d[1];
    double g2 = g.d[2];
    G[0] = g0;
    G[1] = g1;
    memcpy(G + 2, dp0, sizeof dp0);
    G[8] = g2;
    memcpy(G + 9, dp1, sizeof dp1);
  }
}

static void hvp_checks(const double *JTW) {
  double x[NX + 1], g[NX + 1], dg[NX + 1], hv[NX + 1], hp[NX + 1], hb[2][NX + 1], ps = 0.0, vs = 0.0, mag = 0.0, hs = 1.0;
  memcpy(x, XA, sizeof x);
  memset(g, 0, sizeof g);
  __enzyme_fwddiff_hvp((void *)GRAD, enzyme_dup, x, V, enzyme_dup, g, hv);
  __enzyme_fwddiff_hvp((void *)GRAD, enzyme_dup, x, P, enzyme_dupnoneed, dg, hp);
  for (int i = 0; i < NX; i++) {
    hs = fmax(hs, fmax(fabs(JTW[i]), fmax(fabs(hv[i]), fabs(hp[i]))));
    ps += P[i] * hv[i];
    vs += V[i] * hp[i];
    mag += fabs(P[i] * hv[i]) + fabs(V[i] * hp[i]);
  }
  for (int i = 0; i < NX; i++)
    CHECK_CLOSE("forward-over-reverse: the gradient vs reverse J^T w", g[i], JTW[i], 1e-10, 1e-12 * hs);
  CHECK_CLOSE("forward-over-reverse: <P, H v> vs <v, H P> (symmetry)", ps, vs, 0.0, 1e-9 * mag + 1e-12 * hs);
  {
    double g2[NX + 1], hv2[NX + 1];
    __enzyme_fwddiff_hvp((void *)GRAD2, enzyme_dup, x, V, enzyme_dupnoneed, g2, hv2);
    for (int i = 0; i < NX; i++)
      CHECK_CLOSE("forward-over-split H v vs forward-over-reverse", hv2[i], hv[i], 1e-10, 1e-12 * hs);
  }
  __enzyme_fwddiff_hvp((void *)GRAD, enzyme_width, 2, enzyme_dup, x, V, P, enzyme_dupnoneed, dg, hb[0], hb[1]);
  for (int i = 0; i < NX; i++) {
    CHECK_CLOSE("batched forward-over-reverse lane 0 vs H v", hb[0][i], hv[i], 1e-12, 1e-14 * hs);
    CHECK_CLOSE("batched forward-over-reverse lane 1 vs H P", hb[1][i], hp[i], 1e-12, 1e-14 * hs);
  }
  memcpy(HV_AD, hv, sizeof hv);
  hv_scale = hs;
}

#endif
/* Every AD mode at XA, checked against each other: the Jacobian-vector product J v, the
   vector-Jacobian product J^T w and <v, J^T w> with its magnitude. */
static void ad(double *JV, double *JTW, double *rhs_out, double *mag_out) {
  double JTW2[NX + 1];
  (void)JTW2;
  {
    double p0[N], dp0[N];
    memcpy(p0, XA + 2, sizeof p0);
    memcpy(dp0, V + 2, sizeof dp0);
    double p1[N], dp1[N];
    memcpy(p1, XA + 9, sizeof p1);
    memcpy(dp1, V + 9, sizeof dp1);
    __enzyme_fwddiff((void *)f, enzyme_dup, XA[0], V[0], enzyme_const, p2_c, enzyme_dup, XA[1], V[1], n_c, p0, dp0, enzyme_dup, XA[8], V[8], enzyme_dup, p1, dp1);
    memcpy(JV + 0, dp0, sizeof dp0);
    memcpy(JV + 6, dp1, sizeof dp1);
  }
  {
    double p0[N], dp0[N];
    memcpy(p0, XA + 2, sizeof p0);
    memcpy(dp0, W + 0, sizeof dp0);
    double p1[N], dp1[N];
    memcpy(p1, XA + 9, sizeof p1);
    memcpy(dp1, W + 6, sizeof dp1);
    Grad g = __enzyme_autodiff((void *)f, enzyme_out, XA[0], enzyme_const, p2_c, enzyme_out, XA[1], n_c, p0, dp0, enzyme_out, XA[8], enzyme_dup, p1, dp1);
    double g0 = g.d[0];
    double g1 = g.d[1];
    double g2 = g.d[2];
    JTW[0] = g0;
    JTW[1] = g1;
    memcpy(JTW + 2, dp0, sizeof dp0);
    JTW[8] = g2;
    memcpy(JTW + 9, dp1, sizeof dp1);
  }
  {
    double p0[N], dp0[N];
    memcpy(p0, XA + 2, sizeof p0);
    memcpy(dp0, W + 0, sizeof dp0);
    double p1[N], dp1[N];
    memcpy(p1, XA + 9, sizeof p1);
    memcpy(dp1, W + 6, sizeof dp1);
    void *tape = __enzyme_augmentfwd((void *)f, enzyme_out, XA[0], enzyme_const, p2_c, enzyme_out, XA[1], n_c, p0, dp0, enzyme_out, XA[8], enzyme_dup, p1, dp1);
    Grad g = __enzyme_reverse((void *)f, enzyme_out, XA[0], enzyme_const, p2_c, enzyme_out, XA[1], n_c, p0, dp0, enzyme_out, XA[8], enzyme_dup, p1, dp1, tape);
    double g0 = g.d[0];
    double g1 = g.d[1];
    double g2 = g.d[2];
    JTW2[0] = g0;
    JTW2[1] = g1;
    memcpy(JTW2 + 2, dp0, sizeof dp0);
    JTW2[8] = g2;
    memcpy(JTW2 + 9, dp1, sizeof dp1);
  }
  {
    double JB[2][NY];
    double p0[N];
    memcpy(p0, XA + 2, sizeof p0);
    double d0p0[N];
    for (int i = 0; i < N; i++) d0p0[i] = 1.0 * V[2 + i];
    double d1p0[N];
    for (int i = 0; i < N; i++) d1p0[i] = -0.5 * V[2 + i];
    double p1[N];
    memcpy(p1, XA + 9, sizeof p1);
    double d0p1[N];
    for (int i = 0; i < N; i++) d0p1[i] = 1.0 * V[9 + i];
    double d1p1[N];
    for (int i = 0; i < N; i++) d1p1[i] = -0.5 * V[9 + i];
    __enzyme_fwddiff_lanes((void *)f, enzyme_width, 2, enzyme_dup, XA[0], 1.0 * V[0], -0.5 * V[0], enzyme_const, p2_c, enzyme_dup, XA[1], 1.0 * V[1], -0.5 * V[1], n_c, p0, d0p0, d1p0, enzyme_dup, XA[8], 1.0 * V[8], -0.5 * V[8], enzyme_dup, p1, d0p1, d1p1);
    memcpy(JB[0] + 0, d0p0, sizeof d0p0);
    memcpy(JB[1] + 0, d1p0, sizeof d1p0);
    memcpy(JB[0] + 6, d0p1, sizeof d0p1);
    memcpy(JB[1] + 6, d1p1, sizeof d1p1);
    const double factor[2] = {1.0, -0.5};
    for (int k = 0; k < 2; k++)
      for (int i = 0; i < NY; i++)
        CHECK_CLOSE("batched forward lane vs scaled J v", JB[k][i], factor[k] * JV[i], SINGLE ? 1e-6 : 1e-12, 1e-14 * scale);
  }
#ifndef FUZZ_NO_BREV
  {
    double JB[2][NX + 1];
    double p0[N];
    memcpy(p0, XA + 2, sizeof p0);
    double d0p0[N];
    for (int i = 0; i < N; i++) d0p0[i] = 1.0 * W[0 + i];
    double d1p0[N];
    for (int i = 0; i < N; i++) d1p0[i] = -0.5 * W[0 + i];
    double p1[N];
    memcpy(p1, XA + 9, sizeof p1);
    double d0p1[N];
    for (int i = 0; i < N; i++) d0p1[i] = 1.0 * W[6 + i];
    double d1p1[N];
    for (int i = 0; i < N; i++) d1p1[i] = -0.5 * W[6 + i];
    GradLanes g = __enzyme_autodiff_lanes((void *)f, enzyme_width, 2, enzyme_out, XA[0], enzyme_const, p2_c, enzyme_out, XA[1], n_c, p0, d0p0, d1p0, enzyme_out, XA[8], enzyme_dup, p1, d0p1, d1p1);
    JB[0][0] = g.d[0];
    JB[1][0] = g.d[1];
    JB[0][1] = g.d[2];
    JB[1][1] = g.d[3];
    memcpy(JB[0] + 2, d0p0, sizeof d0p0);
    memcpy(JB[1] + 2, d1p0, sizeof d1p0);
    JB[0][8] = g.d[4];
    JB[1][8] = g.d[5];
    memcpy(JB[0] + 9, d0p1, sizeof d0p1);
    memcpy(JB[1] + 9, d1p1, sizeof d1p1);
    const double factor[2] = {1.0, -0.5};
    for (int k = 0; k < 2; k++)
      for (int i = 0; i < NX; i++)
        CHECK_CLOSE("batched reverse lane vs scaled J^T w", JB[k][i], factor[k] * JTW[i], SINGLE ? 1e-6 : 1e-12, 1e-14 * scale);
  }
#endif
#ifndef FUZZ_NO_BREV
  {
    double JB[2][NX + 1];
    double p0[N];
    memcpy(p0, XA + 2, sizeof p0);
    double d0p0[N];
    for (int i = 0; i < N; i++) d0p0[i] = 1.0 * W[0 + i];
    double d1p0[N];
    for (int i = 0; i < N; i++) d1p0[i] = -0.5 * W[0 + i];
    double p1[N];
    memcpy(p1, XA + 9, sizeof p1);
    double d0p1[N];
    for (int i = 0; i < N; i++) d0p1[i] = 1.0 * W[6 + i];
    double d1p1[N];
    for (int i = 0; i < N; i++) d1p1[i] = -0.5 * W[6 + i];
    void *tape = __enzyme_augmentfwd((void *)f, enzyme_width, 2, enzyme_out, XA[0], enzyme_const, p2_c, enzyme_out, XA[1], n_c, p0, d0p0, d1p0, enzyme_out, XA[8], enzyme_dup, p1, d0p1, d1p1);
    GradLanes g = __enzyme_reverse_lanes((void *)f, enzyme_width, 2, enzyme_out, XA[0], enzyme_const, p2_c, enzyme_out, XA[1], n_c, p0, d0p0, d1p0, enzyme_out, XA[8], enzyme_dup, p1, d0p1, d1p1, tape);
    JB[0][0] = g.d[0];
    JB[1][0] = g.d[1];
    JB[0][1] = g.d[2];
    JB[1][1] = g.d[3];
    memcpy(JB[0] + 2, d0p0, sizeof d0p0);
    memcpy(JB[1] + 2, d1p0, sizeof d1p0);
    JB[0][8] = g.d[4];
    JB[1][8] = g.d[5];
    memcpy(JB[0] + 9, d0p1, sizeof d0p1);
    memcpy(JB[1] + 9, d1p1, sizeof d1p1);
    const double factor[2] = {1.0, -0.5};
    for (int k = 0; k < 2; k++)
      for (int i = 0; i < NX; i++)
        CHECK_CLOSE("batched split reverse lane vs scaled J^T w", JB[k][i], factor[k] * JTW[i], SINGLE ? 1e-6 : 1e-12, 1e-14 * scale);
  }
#endif
#ifdef HVP
  hvp_checks(JTW);
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

