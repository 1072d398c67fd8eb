// CFLAGS: -fopenmp
// The fuzzer's omp seed 520050 (see fuzz/hook_erased_call_use_after_free.c, once refused at -O1..-O3
// because its parallel regions read the enzyme_const array p2 through a shared variable) with
// firstprivate(p2) on every parallel construct, as ferment's hint says: accepted at every level.
// The generated main checks forward mode against central finite differences (where the recorded
// path is the same at x and x +- h v), reverse against forward, split against combined and
// batched forward against the scaled tangent, with 1, 2 and 4 threads.
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
static unsigned long long path_hash;
static void path_mix(unsigned long long v) { path_hash = (path_hash ^ v) * 1099511628211ULL; }
static int path_br(int c) { path_mix(c ? 2 : 1); return c; }
static int path_bri(int v) { path_mix(0x100000000ULL + (unsigned)v); return v; }
static double path_val(double r) { path_mix((unsigned long long)(long long)r + 3); return r; }
static double path_fabs(double x) { path_br(x < 0.0); return fabs(x); }
static double path_fmin(double a, double b) { path_br(a < b); return fmin(a, b); }
static double path_fmax(double a, double b) { path_br(a > b); return fmax(a, b); }
static double path_fdim(double a, double b) { path_br(a > b); return fdim(a, b); }
static double path_copysign(double a, double b) { path_br(signbit(a)); path_br(signbit(b)); return copysign(a, b); }
static double path_atan2(double y, double x) { path_br(x < 0.0 && y < 0.0); return atan2(y, x); }
static double path_floor(double x) { return path_val(floor(x)); }
static double path_ceil(double x) { return path_val(ceil(x)); }
static double path_round(double x) { return path_val(round(x)); }
static double path_trunc(double x) { return path_val(trunc(x)); }
static double path_fmod(double a, double b) { path_val(trunc(a / b)); return fmod(a, b); }
#define FRT_MAX 4096
static int frt_n, frt_hit = -1;
static double frt_delta, frt_in[FRT_MAX], frt_out[FRT_MAX];
static double path_frt(double x) {
  double r = (double)(float)x;
  int k = frt_n++;
  if (k < FRT_MAX) { frt_in[k] = x; frt_out[k] = r; }
  return k == frt_hit ? r + frt_delta : r;
}
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
  #pragma omp parallel for firstprivate(p2) schedule(static, 1)
  for (int i1 = 0; i1 < N; i1++) {
    double u1 = tanh(((((0.25 * i1 + 0.125)) >= (sp->u)) ? sa[(i1)].v[(0) % 2] : p2[0]));
    p0[i1] = 0.404 * p0[i1] + 0.414 * cos(ldexp((p2[i1] - t1), -1)) * (1.0 + 0.5 * u1);
  }
  #pragma omp parallel for firstprivate(p2) schedule(dynamic, 3)
  for (int i2 = 0; i2 < n; i2++) {
    double u2 = atan(atan2(s1, s2 + 0.0625));
    p1[i2] = -0.796 * p1[i2] + 0.101 * cos(tbl[(i2 + i2) % N]) * (1.0 + 0.5 * u2);
  }
  #pragma omp parallel for firstprivate(p2) schedule(static)
  for (int i3 = 0; i3 < n; i3++) {
    { int j3 = i3 / 2; double d3 = 0.455 * erf((sin(exp(sp->u)) - log2(hypot(1.0, t0))));
#pragma omp atomic
    p0[j3] += d3; }
  }
  {
    double r4 = 0.0;
#pragma omp parallel for firstprivate(p2) reduction(+ : r4) schedule(dynamic)
    for (int i4 = 0; i4 < n; i4++)
      r4 += 0.133 * atan(tan(1.2 * tanh(s2)));
    t1 = 0.657 * t1 + 0.25 * r4;
  }
  if ((t1 > tgamma(2.1 + tanh(s1)))) {
    #pragma omp parallel for firstprivate(p2) schedule(dynamic, 3)
  for (int i5 = 0; i5 < n; i5++) {
      double u5 = tanh(atan2(s1, tbl[N - 1 - i5] + 0.0625));
      p0[i5] = -0.156 * p0[i5] + 0.421 * sin(lgamma(2.1 + tanh(sa[((i5 + i5) % N)].v[((i5 + 1) % N) % 2]))) * (1.0 + 0.5 * u5);
    }
  } else {
    sp->v[1] += t1;
  }
  sp->v[0] += atan2(pow((1.25 + cos((s1 + 0.1 * ceil(p1[2])))), 0.5 * tanh(fabs(s2))), acos(0.9 * tanh((sp->v[0] / (1.0 + fabs(p0[2]))))) + 0.0625);
  memcpy(p1, p2, N * sizeof(double));
  #pragma omp parallel for firstprivate(p2) schedule(static)
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

static unsigned long long Fp(const double *X, double *Y) {
  path_hash = 14695981039346656037ULL;
  frt_n = 0;
  F(X, Y);
  return path_hash;
}

static int path_stable(const double *X, double h) {
  double x[NX + 1], y[NY];
  unsigned long long p0 = Fp(X, y);
  for (int s = -1; s <= 1; s += 2) {
    for (int i = 0; i < NX; i++)
      x[i] = X[i] + s * h * V[i];
    if (Fp(x, y) != p0)
      return 0;
  }
  return 1;
}

static void fd(const double *X, double h, double *out) {
  double xp[NX + 1], xm[NX + 1], yp[NY], ym[NY];
  for (int i = 0; i < NX; i++) {
    xp[i] = X[i] + h * V[i];
    xm[i] = X[i] - h * V[i];
  }
  Fp(xp, yp);
  Fp(xm, ym);
  for (int i = 0; i < NY; i++)
    out[i] = (yp[i] - ym[i]) / (2.0 * h);
}

/* The primal at XA; 0 when it is not finite there. Sets `scale`. */
static double scale = 1.0;
static int primal_ok(void) {
  double y[NY];
  Fp(XA, y);
  scale = 1.0;
  for (int i = 0; i < NY; i++) {
    if (!isfinite(y[i]))
      return 0;
    scale = fmax(scale, fabs(y[i]));
  }
  return 1;
}

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

/* Central differences at XA with two steps; 0 (nothing checked) when they disagree. */
static int fd_check(const double *JV, double rhs, double mag) {
  double fa[NY], fb[NY], fdw = 0.0;
  fd(XA, FD_H1, fa);
  fd(XA, FD_H2, fb);
  for (int i = 0; i < NY; i++)
    if (!(fabs(fa[i] - fb[i]) <= FD_AGREE * (fabs(fa[i]) + fabs(fb[i])) + 1e-2 * FD_AGREE * scale))
      return 0;
  for (int i = 0; i < NY; i++) {
    fdw += fb[i] * W[i];
    CHECK_CLOSE("forward J v vs finite differences", JV[i], fb[i], FD_RTOL, FD_ATOL * scale);
  }
  CHECK_CLOSE("reverse <v, J^T w> vs finite differences", rhs, fdw, FD_RTOL, FD_ATOL * scale * (1.0 + mag));
  return 1;
}

/* What the previous oracle concluded, for the campaign's statistics only (it checks
   nothing): finite differences at X0 whenever the two steps agree, no path record, none in
   single precision. "wrong" there while every check passes here is a false positive the
   path record removes. */
static const char *old_fd(const double *JV, double rhs, double mag) {
  double fa[NY], fb[NY], fdw = 0.0;
  if (SINGLE)
    return "skipped";
  fd(XA, FD_H1, fa);
  fd(XA, FD_H2, fb);
  for (int i = 0; i < NY; i++)
    if (!(fabs(fa[i] - fb[i]) <= FD_AGREE * (fabs(fa[i]) + fabs(fb[i])) + 1e-2 * FD_AGREE * scale))
      return "skipped";
  for (int i = 0; i < NY; i++) {
    fdw += fb[i] * W[i];
    if (!(fabs(JV[i] - fb[i]) <= FD_RTOL * fabs(fb[i]) + FD_ATOL * scale))
      return "wrong";
  }
  if (!(fabs(rhs - fdw) <= FD_RTOL * fabs(fdw) + FD_ATOL * scale * (1.0 + mag)))
    return "wrong";
  return "checked";
}

/* Every check at one thread count; 0 when the primal is not finite (nothing checked). */
static int run_checks(void) {
  double JV[NY], JTW[NX + 1], rhs, mag;
  memcpy(XA, X0, sizeof X0);
  if (!primal_ok()) {
    printf("skip: nonfinite primal\n");
    return 0;
  }
  ad(JV, JTW, &rhs, &mag);
  printf("cmp-rtol %g\n", SINGLE ? 1e-5 : 1e-8);
#if SINGLE
  printf("frt-bound %g\n", frt_last);
#endif
  for (int i = 0; i < NY; i++)
    printf("JV %d %.17g\n", i, JV[i]);
  for (int i = 0; i < NX; i++)
    printf("JTW %d %.17g\n", i, JTW[i]);
  printf("old-fd: %s\n", old_fd(JV, rhs, mag));
  BREV_PRINT;
  /* The first of X0, X0 + 1e-3 P, X0 + 2e-3 P, ... where the path is locally constant
     along v; all AD modes are checked again there. */
  for (int t = 0; t < 8; t++) {
    for (int i = 0; i < NX; i++)
      XA[i] = X0[i] + 1e-3 * t * P[i];
    if (!primal_ok() || !path_stable(XA, FD_H1) || !path_stable(XA, FD_H2))
      continue;
    if (t > 0)
      ad(JV, JTW, &rhs, &mag);
    if (fd_check(JV, rhs, mag))
      printf("fd: checked%s at point %d\n", SINGLE ? " (single precision)" : "", t);
    else
      printf("fd: noisy: the path is stable but the two steps disagree\n");
    return 1;
  }
  printf("fd: unstable: the path changes within the step at every point tried\n");
  return 1;
}

/* With OpenMP, everything again with 1, 2 and 4 threads (the recording copy runs
   serially, so the finite differences are the same each time). */
int main(void) {
#if OMP
  static const int nt[3] = {1, 2, 4};
  for (int q = 0; q < 3; q++) {
    omp_set_num_threads(nt[q]);
    if (!run_checks())
      return 0;
  }
#else
  if (!run_checks())
    return 0;
#endif
  return check_report();
}
