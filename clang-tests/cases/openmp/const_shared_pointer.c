// CFLAGS: -fopenmp
// Reduced by the fuzzer (omp variant, seed 420179): an enzyme_const array read in two parallel
// regions, one of which ferment differentiates on its own at -O1..-O3. The region reads the array's
// pointer through its shared variable, where the caller stored the constant pointer itself in place
// of its shadow. Once refused (suggesting firstprivate, openmp/const_shared_firstprivate.c); now
// the region's derivative is told that its captured memory may hold such pointers and checks each
// one at run time (shadow == pointer: constant data, no derivative read or accumulated there).
// Oracles: central finite differences along a path-stable direction and forward against reverse,
// with 1, 2 and 4 threads; the constant array must come back unchanged.
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
double __enzyme_fwddiff(void *, ...);
extern int enzyme_width;
typedef struct {
  double d[2];
} Lanes;
Lanes __enzyme_fwddiff_lanes(void *, ...);

double f(const double *p0, double s2, int k, double *p1, double s1, int n, double s0) {
  double t0 = s0;
  double t1 = s0;
  #pragma omp parallel for schedule(dynamic)
  for (int i3 = 0; i3 < n; i3++) {
    p1[i3] = 0.214 * p1[i3] + 0.209 * cos((((tan(1.2 * tanh(p0[i3]))) < (s1)) ? p0[N - 1 - i3] : t0));
  }
  {
    double r5 = 0.0;
#pragma omp parallel for reduction(+ : r5) schedule(dynamic)
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
