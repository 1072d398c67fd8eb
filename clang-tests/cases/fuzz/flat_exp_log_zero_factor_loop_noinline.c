// Found by ferment-fuzz (clamp,no-inline variant, seed 2720036, reduced from 12 to 5
// statements): in a loop, cz3 = (double)(i % 2) * g(...) is exactly 0 on every other iteration
// and feeds exp(0.993 * log(cz3)) - exp(-1.664 / cz3): both exps are 0 (flat at -inf) where
// log(0) and -1.664 / 0 are -inf with infinite partials. The guards on those products tested
// the first test of their chain of guards (shim::share_guard_tests) instead of their own adjoint,
// which exp'(-inf) = 0 had made zero: NaN in scalar reverse and split mode at -O1 and -O2
// (main 48a3872), finite batched reverse lanes. Guards of values whose adjoint a flat partial may
// zero now keep their own test (rules::keep_own_test). The generated oracles: forward J v
// against central differences on a stable path, <J v, w> against <v, J^T w>, batched lanes,
// split mode, at -O0..-O3.
// CFLAGS: -mllvm -ferment-no-inline
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
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_width;
typedef struct {
  double d[2];
} Lanes;
Lanes __enzyme_fwddiff_lanes(void *, ...);
#ifndef FUZZ_NO_BREV
typedef struct {
  double d[3];
} GradLanes;
GradLanes __enzyme_autodiff_lanes(void *, ...);
GradLanes __enzyme_reverse_lanes(void *, ...);
#endif
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_reverse(void *, ...);

__attribute__((noinline)) double f(int n, double s1, double s0, const double *p0) {
  double t0 = s1;
  for (int i1 = N - 1; i1 >= 0; i1--) {
    for (int w2 = 0; w2 < 3 * N && (fabs(t0) > 0.717); w2++) {
      t0 *= 0.75;
    }
    t0 = -0.857 * t0 + 0.298 * atan(pow((2.0 + sin(tgamma(2.1 + tanh(s1)))), 0.5 * tanh(p0[N - 1 - i1])));
    { double cz3 = (double)((i1 + 0) % 2) * (1.0 + 0.5 * erf(fabs((t0 + s0)))); t0 = 0.508 * t0 + 0.253 * tanh(exp(0.993 * log(cz3)) - exp(-1.664 / cz3) + sin(p0[i1])); }
  }
  double r = t0 + fabs(s0);
  return r;
}

// The same functions again, recording every branch decision for the finite-difference
// oracle (never differentiated).

__attribute__((noinline)) double f_path(int n, double s1, double s0, const double *p0) {
  double t0 = s1;
  for (int i1 = N - 1; i1 >= 0; i1--) {
    for (int w2 = 0; w2 < 3 * N && path_br(fabs(t0) > 0.717); w2++) {
      t0 *= 0.75;
    }
    t0 = -0.857 * t0 + 0.298 * atan(pow((2.0 + sin(tgamma(2.1 + tanh(s1)))), 0.5 * tanh(p0[N - 1 - i1])));
    { double cz3 = (double)((i1 + 0) % 2) * (1.0 + 0.5 * erf(path_fabs((t0 + s0)))); t0 = 0.508 * t0 + 0.253 * tanh(exp(0.993 * log(cz3)) - exp(-1.664 / cz3) + sin(p0[i1])); }
  }
  double r = t0 + path_fabs(s0);
  return r;
}

#define OMP 0
#ifndef FUZZ_NO_BREV
static void f_ret(int n, double s1, double s0, const double *p0, double *ret) { *ret = f(n, s1, s0, p0); }
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
#define NX 1
#define NY 1
static const double X0[NX] = {0.506};
static const double V[NX] = {0.145};
static double XA[NX + 1];
static const double P[NX] = {0.951};
static const double W[NY] = {1.0};
static const int n_c = 2;
static const double s1_c = -0.107;
static const double p0_c[N] = {-0.295, -0.31, 0.116};

static void F(const double *X, double *Y) {
  Y[0] = f_path(n_c, s1_c, X[0], p0_c);
  (void)X;
}

#include "fuzz_oracle.h"

/* Every AD mode at XA, checked against each other: the Jacobian-vector product J v, the
   vector-Jacobian product J^T w and <v, J^T w> with its magnitude. */
static void ad(double *JV, double *JTW, double *rhs_out, double *mag_out) {
  double JTW2[NX + 1];
  (void)JTW2;
  {
    JV[0] = __enzyme_fwddiff((void *)f, n_c, enzyme_const, s1_c, enzyme_dup, XA[0], V[0], enzyme_const, p0_c);
  }
  {
    double g0 = __enzyme_autodiff((void *)f, n_c, enzyme_const, s1_c, enzyme_out, XA[0], enzyme_const, p0_c);
    JTW[0] = g0;
  }
  {
    void *tape = __enzyme_augmentfwd((void *)f, n_c, enzyme_const, s1_c, enzyme_out, XA[0], enzyme_const, p0_c);
    double g0 = __enzyme_reverse((void *)f, n_c, enzyme_const, s1_c, enzyme_out, XA[0], enzyme_const, p0_c, 1.0, tape);
    JTW2[0] = g0;
  }
  {
    double JB[2][NY];
    Lanes r = __enzyme_fwddiff_lanes((void *)f, enzyme_width, 2, n_c, enzyme_const, s1_c, enzyme_dup, XA[0], 1.0 * V[0], -0.5 * V[0], enzyme_const, p0_c);
    for (int k = 0; k < 2; k++) JB[k][0] = r.d[k];
    const double factor[2] = {1.0, -0.5};
    for (int k = 0; k < 2; k++)
      for (int i = 0; i < NY; i++)
        CHECK_CLOSE("batched forward lane vs scaled J v", JB[k][i], factor[k] * JV[i], SINGLE ? 1e-6 : 1e-12, 1e-14 * scale);
  }
#ifndef FUZZ_NO_BREV
  {
    double JB[3][NX + 1];
    double ret;
    double dret0 = 1.0 * W[0];
    double dret1 = -0.5 * W[0];
    double dret2 = 2.0 * W[0];
    GradLanes g = __enzyme_autodiff_lanes((void *)f_ret, enzyme_width, 3, n_c, enzyme_const, s1_c, enzyme_out, XA[0], enzyme_const, p0_c, enzyme_dupnoneed, &ret, &dret0, &dret1, &dret2);
    JB[0][0] = g.d[0];
    JB[1][0] = g.d[1];
    JB[2][0] = g.d[2];
    const double factor[3] = {1.0, -0.5, 2.0};
    for (int k = 0; k < 3; k++)
      for (int i = 0; i < NX; i++)
        CHECK_CLOSE("batched reverse lane vs scaled J^T w", JB[k][i], factor[k] * JTW[i], SINGLE ? 1e-6 : 1e-12, 1e-14 * scale);
  }
#endif
#ifndef FUZZ_NO_BREV
  {
    double JB[3][NX + 1];
    double ret;
    double dret0 = 1.0 * W[0];
    double dret1 = -0.5 * W[0];
    double dret2 = 2.0 * W[0];
    void *tape = __enzyme_augmentfwd((void *)f_ret, enzyme_width, 3, n_c, enzyme_const, s1_c, enzyme_out, XA[0], enzyme_const, p0_c, enzyme_dup, &ret, &dret0, &dret1, &dret2);
    GradLanes g = __enzyme_reverse_lanes((void *)f_ret, enzyme_width, 3, n_c, enzyme_const, s1_c, enzyme_out, XA[0], enzyme_const, p0_c, enzyme_dup, &ret, &dret0, &dret1, &dret2, tape);
    JB[0][0] = g.d[0];
    JB[1][0] = g.d[1];
    JB[2][0] = g.d[2];
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

