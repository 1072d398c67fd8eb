// NOT FIXED (compiler crash): clang-22 -O2 -g with the plugin segfaults in InstCombine
// (llvm::DbgRecord::getParent) while ferment simplifies ferment.augmented.f (split mode,
// __enzyme_augmentfwd with constant arguments). Needs full debug info (-g; not
// -gline-tables-only) and -O2 (also with -ferment-no-inline; not at -O1); reproduces with
// opt-22 -passes='default<O2>' on the -Xclang -disable-llvm-passes IR. Found by ferment-fuzz
// (seed 83 of the CI campaign), reduced by line deletion; compile with -c.
// RUN: clang -O2 -g -c crash_instcombine_dbg_augmented.c
#include <math.h>
#include <stdlib.h>
#define N 5
extern int enzyme_const, enzyme_out;
void *__enzyme_augmentfwd(void *, ...);

static inline double h0(double a, double b) {
  double u = a;
  return u + ((lgamma(2.1 + tanh(0.798))) >= ((b / cosh(tanh(a)))) ? pow((1.0 + fabs((-0.366))), 0.5 * tanh(a)) : ((u) < (u) ? 1.668 : 0.916));
}
double f(const double *p1, int n, double s0, const double *p0) {
  double t0 = s0;
  double *m0 = (double *)malloc(N * sizeof(double));
  for (int q = 0; q < N; q++) m0[q] = 0.5 * p1[q];
  m0[0] = 0.231 * cos(pow(1.0 + fabs(p0[1]), 0.5 * tanh(h0(t0, p0[1]))) + p1[0]);
  if (pow(1.25 + cos(pow(exp(0.5 * tanh(p0[2])), 0.5 * tanh(s0))), 0.5 * tanh(s0)) > log1p(1.25 + cos(m0[2]))) {
  } else {
    m0[0] = 0.551 * m0[0] + 0.187 * erf(m0[2]);
  }
  for (int i1 = 0; i1 < n; i1 += 2) {
    for (int w2 = 0; w2 < 3 * N && fabs(t0) > 0.435; w2++) {
      t0 *= 0.75;
    }
  }
  double r = t0 + m0[0] + m0[N - 1] + sqrt(cosh(tanh(t0)));
  return r;
}
static const double p1_c[N] = {-0.966, 0.321, -0.034, 0.352, 0.663};
static const double p0_c[N] = {0.127, 0.604, 0.422, -0.545, 0.125};
void *g(void) {
  return __enzyme_augmentfwd((void *)f, enzyme_const, p1_c, 1, 0.054, enzyme_const, p0_c);
}
