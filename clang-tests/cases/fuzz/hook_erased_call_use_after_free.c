// CFLAGS: -fopenmp
// LEVELS: 0 1 2 3
// Found by the fuzzer (omp variant, seeds 520001 and 520050): clang crashed now and then (about
// one compile in eight at -O2, a segfault in LLVMIsAConstantExpr) instead of giving a clean
// error. While building a derivative's shadows, the walk replaces each call differentiated on
// its own (here the parallel region's) by its augmented call and erases it; the record of
// constant pointers stored in place of their shadows (`SelfShadowed::follow_copies`) and the
// checks after the walk then read the erased call from the instruction list made before the
// walk: a use after free, which crashed only when LLVM had reused the memory. Now the walk
// leaves the erased calls out of what it reads afterwards (`shadow.rs`). The program selects
// between the enzyme_const array p2 and active data in its first parallel region, which reads p2
// through its shared variable. At -O1..-O3, `memcpy(p1, p2, ...)` then copies from p2 loaded
// back from that variable, a pointer that may stand for its own shadow: this was refused ("merges
// pointers to duplicated data with pointers to constant data"); now the copy's derivative checks
// at run time whether the source is its own shadow (constant data: zero tangents, adjoints
// cleared and added nowhere), and the program passes the generated finite-difference,
// reverse-vs-forward and split checks at -O0..-O3. A use after free need not crash, so this case
// catches a regression of the first fix only some of the time (valgrind on clang showed the
// invalid reads every time).
#include "check.h"
#include <stdlib.h>

#define N 7
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
void __enzyme_fwddiff(void *, ...);
extern int enzyme_width;
void __enzyme_fwddiff_lanes(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
Grad __enzyme_reverse(void *, ...);

void f(double s1, struct S *sp, double *p0, const double *p2, double *p1, double s2, int n, double s0) {
  double t0 = s2;
  double t1 = s2;
  struct S sa[N];
  for (int q = 0; q < N; q++) { sa[q].u = s2 * (0.3 + 0.1 * q); sa[q].tag = q; sa[q].v[0] = 0.5 * q - s2; sa[q].v[1] = 0.25; }
  #pragma omp parallel for schedule(static, 1)
  for (int i1 = 0; i1 < N; i1++) {
    double u1 = tanh(((((0.25 * i1 + 0.125)) >= (sp->u)) ? sa[(i1)].v[(0) % 2] : p2[0]));
    p0[i1] = 0.404 * p0[i1] + 0.414 * cos(ldexp((p2[i1] - t1), -1)) * (1.0 + 0.5 * u1);
  }
  #pragma omp parallel for schedule(dynamic, 3)
  for (int i2 = 0; i2 < n; i2++) {
    double u2 = atan(atan2(s1, s2 + 0.0625));
    p1[i2] = -0.796 * p1[i2] + 0.101 * cos(tbl[(i2 + i2) % N]) * (1.0 + 0.5 * u2);
  }
  #pragma omp parallel for schedule(static)
  for (int i3 = 0; i3 < n; i3++) {
    { int j3 = i3 / 2; double d3 = 0.455 * erf((sin(exp(sp->u)) - log2(hypot(1.0, t0))));
#pragma omp atomic
    p0[j3] += d3; }
  }
  {
    double r4 = 0.0;
#pragma omp parallel for reduction(+ : r4) schedule(dynamic)
    for (int i4 = 0; i4 < n; i4++)
      r4 += 0.133 * atan(tan(1.2 * tanh(s2)));
    t1 = 0.657 * t1 + 0.25 * r4;
  }
  if ((t1 > tgamma(2.1 + tanh(s1)))) {
    #pragma omp parallel for schedule(dynamic, 3)
  for (int i5 = 0; i5 < n; i5++) {
      double u5 = tanh(atan2(s1, tbl[N - 1 - i5] + 0.0625));
      p0[i5] = -0.156 * p0[i5] + 0.421 * sin(lgamma(2.1 + tanh(sa[((i5 + i5) % N)].v[((i5 + 1) % N) % 2]))) * (1.0 + 0.5 * u5);
    }
  } else {
    sp->v[1] += t1;
  }
  sp->v[0] += atan2(pow((1.25 + cos((s1 + 0.1 * ceil(p1[2])))), 0.5 * tanh(fabs(s2))), acos(0.9 * tanh((sp->v[0] / (1.0 + fabs(p0[2]))))) + 0.0625);
  memcpy(p1, p2, N * sizeof(double));
  #pragma omp parallel for schedule(static)
  for (int i6 = 0; i6 < N; i6++) {
    { int j6 = i6 / 2; double d6 = 0.781 * sin((0.1 * (double)((i6 * n) % 7)));
#pragma omp atomic
    p0[j6] -= d6; }
  }
  memcpy(p0, p1, N * sizeof(double));
  for (int i7 = 0; i7 < n; i7++) {
    sp->u = 0.65 * sp->u + 0.229 * tanh(atan2(sp->v[0], s1 + 0.0625));
  }
  p0[0] += 0.5 * (sp->u + sp->v[0] + sp->v[1] + t0 + t1 + sa[N - 1].u + sa[0].v[1] + sp->v[0]);
}

// The same functions again, recording every branch decision for the finite-difference
// oracle (never differentiated).

void f_path(double s1, struct S *sp, double *p0, const double *p2, double *p1, double s2, int n, double s0) {
  double t0 = s2;
  double t1 = s2;
  struct S sa[N];
  for (int q = 0; q < N; q++) { sa[q].u = s2 * (0.3 + 0.1 * q); sa[q].tag = q; sa[q].v[0] = 0.5 * q - s2; sa[q].v[1] = 0.25; }
  for (int i1 = 0; i1 < N; i1++) {
    double u1 = tanh((path_br(((0.25 * i1 + 0.125)) >= (sp->u)) ? sa[(i1)].v[(0) % 2] : p2[0]));
    p0[i1] = 0.404 * p0[i1] + 0.414 * cos(ldexp((p2[i1] - t1), -1)) * (1.0 + 0.5 * u1);
  }
  for (int i2 = 0; i2 < n; i2++) {
    double u2 = atan(path_atan2(s1, s2 + 0.0625));
    p1[i2] = -0.796 * p1[i2] + 0.101 * cos(tbl[(i2 + i2) % N]) * (1.0 + 0.5 * u2);
  }
  for (int i3 = 0; i3 < n; i3++) {
    { int j3 = i3 / 2; double d3 = 0.455 * erf((sin(exp(sp->u)) - log2(hypot(1.0, t0))));
    p0[j3] += d3; }
  }
  {
    double r4 = 0.0;
    for (int i4 = 0; i4 < n; i4++)
      r4 += 0.133 * atan(tan(1.2 * tanh(s2)));
    t1 = 0.657 * t1 + 0.25 * r4;
  }
  if (path_br(t1 > tgamma(2.1 + tanh(s1)))) {
  for (int i5 = 0; i5 < n; i5++) {
      double u5 = tanh(path_atan2(s1, tbl[N - 1 - i5] + 0.0625));
      p0[i5] = -0.156 * p0[i5] + 0.421 * sin(lgamma(2.1 + tanh(sa[((i5 + i5) % N)].v[((i5 + 1) % N) % 2]))) * (1.0 + 0.5 * u5);
    }
  } else {
    sp->v[1] += t1;
  }
  sp->v[0] += path_atan2(pow((1.25 + cos((s1 + 0.1 * path_ceil(p1[2])))), 0.5 * tanh(path_fabs(s2))), acos(0.9 * tanh((sp->v[0] / (1.0 + path_fabs(p0[2]))))) + 0.0625);
  memcpy(p1, p2, N * sizeof(double));
  for (int i6 = 0; i6 < N; i6++) {
    { int j6 = i6 / 2; double d6 = 0.781 * sin((0.1 * (double)((i6 * n) % 7)));
    p0[j6] -= d6; }
  }
  memcpy(p0, p1, N * sizeof(double));
  for (int i7 = 0; i7 < n; i7++) {
    sp->u = 0.65 * sp->u + 0.229 * tanh(path_atan2(sp->v[0], s1 + 0.0625));
  }
  p0[0] += 0.5 * (sp->u + sp->v[0] + sp->v[1] + t0 + t1 + sa[N - 1].u + sa[0].v[1] + sp->v[0]);
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
#define NX 20
#define NY 17
static const double X0[NX] = {-0.527, -0.958, 1.271, 0.774, -0.071, 1.432, 0.927, 0.851, -1.143, 0.975, 0.994, -1.03, -1.21, 0.552, 0.268, -0.888, -1.212, 0.512, 0.093, 0.69};
static const double V[NX] = {0.329, 0.1, 0.006, 0.844, -0.85, -0.508, 0.778, -0.248, 0.07, 0.641, -0.102, 0.971, -0.622, -0.559, -0.17, -0.454, 0.054, -0.46, 0.686, 0.309};
static double XA[NX + 1];
static const double P[NX] = {-0.496, -0.115, -0.662, -0.856, 0.615, 0.634, 0.778, -0.127, 0.455, -0.301, -0.865, 0.241, -0.835, 0.093, -0.388, -0.172, -0.76, 0.437, 0.192, 0.448};
static const double W[NY] = {0.778, 0.852, 0.669, -0.365, -0.153, -0.898, -0.251, 0.723, 0.817, 0.475, -0.399, 0.533, -0.317, -0.462, 0.095, -0.818, 0.732};
static const double p2_c[N] = {-0.759, -0.297, 0.021, -0.878, -0.064, 0.812, 0.353};
static const int n_c = 3;

static void F(const double *X, double *Y) {
  struct S sp = {X[1], 2, {X[2], X[3]}};
  double p0[N];
  memcpy(p0, X + 4, sizeof p0);
  double p1[N];
  memcpy(p1, X + 11, sizeof p1);
  f_path(X[0], &sp, p0, p2_c, p1, X[18], n_c, X[19]);
  Y[0] = sp.u;
  Y[1] = sp.v[0];
  Y[2] = sp.v[1];
  memcpy(Y + 3, p0, sizeof p0);
  memcpy(Y + 10, p1, sizeof p1);
  (void)X;
}

#include "fuzz_oracle.h"

/* Every AD mode at XA, checked against each other: the Jacobian-vector product J v, the
   vector-Jacobian product J^T w and <v, J^T w> with its magnitude. */
static void ad(double *JV, double *JTW, double *rhs_out, double *mag_out) {
  double JTW2[NX + 1];
  (void)JTW2;
  {
    struct S sp = {XA[1], 2, {XA[2], XA[3]}};
    struct S dsp = {V[1], 0, {V[2], V[3]}};
    double p0[N], dp0[N];
    memcpy(p0, XA + 4, sizeof p0);
    memcpy(dp0, V + 4, sizeof dp0);
    double p1[N], dp1[N];
    memcpy(p1, XA + 11, sizeof p1);
    memcpy(dp1, V + 11, sizeof dp1);
    __enzyme_fwddiff((void *)f, enzyme_dup, XA[0], V[0], enzyme_dup, &sp, &dsp, enzyme_dupnoneed, p0, dp0, enzyme_const, p2_c, p1, dp1, XA[18], V[18], n_c, enzyme_dup, XA[19], V[19]);
    JV[0] = dsp.u;
    JV[1] = dsp.v[0];
    JV[2] = dsp.v[1];
    memcpy(JV + 3, dp0, sizeof dp0);
    memcpy(JV + 10, dp1, sizeof dp1);
  }
  {
    struct S sp = {XA[1], 2, {XA[2], XA[3]}};
    struct S dsp = {W[0], 0, {W[1], W[2]}};
    double p0[N], dp0[N];
    memcpy(p0, XA + 4, sizeof p0);
    memcpy(dp0, W + 3, sizeof dp0);
    double p1[N], dp1[N];
    memcpy(p1, XA + 11, sizeof p1);
    memcpy(dp1, W + 10, sizeof dp1);
    Grad g = __enzyme_autodiff((void *)f, enzyme_out, XA[0], enzyme_dup, &sp, &dsp, enzyme_dupnoneed, p0, dp0, enzyme_const, p2_c, p1, dp1, XA[18], n_c, enzyme_out, XA[19]);
    double g0 = g.d[0];
    double g1 = g.d[1];
    double g2 = g.d[2];
    JTW[0] = g0;
    JTW[1] = dsp.u;
    JTW[2] = dsp.v[0];
    JTW[3] = dsp.v[1];
    memcpy(JTW + 4, dp0, sizeof dp0);
    memcpy(JTW + 11, dp1, sizeof dp1);
    JTW[18] = g1;
    JTW[19] = g2;
  }
  {
    struct S sp = {XA[1], 2, {XA[2], XA[3]}};
    struct S dsp = {W[0], 0, {W[1], W[2]}};
    double p0[N], dp0[N];
    memcpy(p0, XA + 4, sizeof p0);
    memcpy(dp0, W + 3, sizeof dp0);
    double p1[N], dp1[N];
    memcpy(p1, XA + 11, sizeof p1);
    memcpy(dp1, W + 10, sizeof dp1);
    void *tape = __enzyme_augmentfwd((void *)f, enzyme_out, XA[0], enzyme_dup, &sp, &dsp, enzyme_dup, p0, dp0, enzyme_const, p2_c, p1, dp1, XA[18], n_c, enzyme_out, XA[19]);
    Grad g = __enzyme_reverse((void *)f, enzyme_out, XA[0], enzyme_dup, &sp, &dsp, enzyme_dup, p0, dp0, enzyme_const, p2_c, p1, dp1, XA[18], n_c, enzyme_out, XA[19], tape);
    double g0 = g.d[0];
    double g1 = g.d[1];
    double g2 = g.d[2];
    JTW2[0] = g0;
    JTW2[1] = dsp.u;
    JTW2[2] = dsp.v[0];
    JTW2[3] = dsp.v[1];
    memcpy(JTW2 + 4, dp0, sizeof dp0);
    memcpy(JTW2 + 11, dp1, sizeof dp1);
    JTW2[18] = g1;
    JTW2[19] = g2;
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
