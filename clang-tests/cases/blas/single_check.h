/* single_check.h: what blas/single_level3.c and blas/single_lapack.c share. Each test defines
 * LEN (the length of both inputs), DEFINE(float, s) / DEFINE(double, d) twins of its functions
 * (T NAME_S(T *A, T *B)), and a function `inputs(float *A, float *B)` giving the evaluation point,
 * then includes this header. WRAP(NAME) makes NAME_rev (reverse, both inputs duplicated) and
 * NAME_fwd (forward) of the float twin; check() compares the float reverse gradient against
 * central finite differences of the double twin (an oracle with no float rounding) and the float
 * forward derivative against the float reverse gradient. */
#include "check.h"

float __enzyme_autodiff(void *, ...);
float __enzyme_fwddiff(void *, ...);

#define WRAP(NAME)                                                                             \
  static void NAME##_rev(float *A, float *dA, float *B, float *dB) {                           \
    __enzyme_autodiff((void *)NAME##_s, enzyme_dup, A, dA, enzyme_dup, B, dB);                 \
  }                                                                                            \
  static float NAME##_fwd(float *A, float *tA, float *B, float *tB) {                          \
    return __enzyme_fwddiff((void *)NAME##_s, enzyme_dup, A, tA, enzyme_dup, B, tB);           \
  }

typedef void (*rev_fn)(float *, float *, float *, float *);
typedef float (*fwd_fn)(float *, float *, float *, float *);
typedef double (*dloss)(double *, double *);

static void inputs(float *A, float *B);

static void check(const char *name, rev_fn rev, fwd_fn fwd, dloss g) {
  float A[LEN], B[LEN], dA[LEN] = {0}, dB[LEN] = {0}, tA[LEN], tB[LEN];
  double Ad[LEN], Bd[LEN];
  inputs(A, B);
  for (int i = 0; i < LEN; i++) {
    tA[i] = (float)sin(1.3 * i);
    tB[i] = (float)cos(0.4 * i + 0.2);
    Ad[i] = A[i], Bd[i] = B[i];
  }
  rev(A, dA, B, dB);
  char what[128];
  double h = 1e-6, dot = 0;
  snprintf(what, sizeof what, "%s dA", name);
  CHECK_ARRAY_FD(what, Ad, LEN, dA, h, g(Ad, Bd), 2e-3, 2e-3);
  snprintf(what, sizeof what, "%s dB", name);
  CHECK_ARRAY_FD(what, Bd, LEN, dB, h, g(Ad, Bd), 2e-3, 2e-3);
  for (int i = 0; i < LEN; i++) dot += (double)dA[i] * tA[i];
  for (int i = 0; i < LEN; i++) dot += (double)dB[i] * tB[i];
  float t = fwd(A, tA, B, tB);
  snprintf(what, sizeof what, "%s forward vs reverse", name);
  CHECK_CLOSE(what, t, dot, 1e-3, 1e-3);
}
