// Linear-blend skinning (benches/src/hand.c's inner loops): per vertex i and bone j, the bone's
// 3x3 matrix and translation are read from heap copies of A and t (9 and 3 elements per bone),
// so the reverse sweep adds into blocks of 9 and 3 consecutive elements of their shadows that
// move by 9 and 3 per iteration of the bone loop. Built for the host CPU: on AVX-512 such a
// derivative prefers no gathers and scatters (the vectorizer otherwise adds into the 9 blocks of
// 8 bones with 9 gathers and 9 scatters; the SLP vectorizer widens the block instead). Bone
// counts around the vector widths (1..17), vertex counts 0, 1, 5, the weights active or not.
// Oracles: the analytic gradient (dA_j = sum_i 2 w_ij v_i d_ij^T, dt_j = sum_i 2 w_ij v_i,
// dw_ij = 2 v_i . (A_j d_ij + t_j)), central finite differences of the primal, and forward mode
// against reverse (dot product). In reverse/, not loops/: valgrind (the valgrind-O2 config of
// loops/) stops at the first AVX-512 instruction.
// RUN: clang
// CFLAGS: -march=native -fno-math-errno
#include "check.h"
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_const, enzyme_dup;

#define NB 17
#define NV 5

/* x = A (9 NB), then t (3 NB), then w (NV NB) */
#define NA (9 * NB)
#define NT (3 * NB)
#define NX (NA + NT + NV * NB)

static double P[3 * NV], R[3 * NB];

double skin(long nb, long nv, const double *restrict A, const double *restrict t,
            const double *restrict w, const double *restrict p, const double *restrict rj) {
  /* the bones' frames in heap copies (as hand.c computes them): their shadows are the
     derivative's own, so nothing else may alias them */
  double *M = malloc(sizeof(double) * 9 * (nb + 1)), *tt = malloc(sizeof(double) * 3 * (nb + 1));
  for (long k = 0; k < 9 * nb; k++)
    M[k + 9] = A[k];
  for (long k = 0; k < 3 * nb; k++)
    tt[k + 3] = t[k];
  double e = 0;
  for (long i = 0; i < nv; i++) {
    double v[3] = {0, 0, 0};
    for (long j = 0; j < nb; j++) {
      double wij = w[i * nb + j];
      double d0 = p[3 * i] - rj[3 * j], d1 = p[3 * i + 1] - rj[3 * j + 1],
             d2 = p[3 * i + 2] - rj[3 * j + 2];
      const double *a = M + 9 * (j + 1), *tj = tt + 3 * (j + 1);
      for (int r = 0; r < 3; r++)
        v[r] += wij * (a[3 * r] * d0 + a[3 * r + 1] * d1 + a[3 * r + 2] * d2 + tj[r]);
    }
    for (int r = 0; r < 3; r++)
      e += v[r] * v[r];
  }
  free(M);
  free(tt);
  return e;
}

static long g_nb, g_nv;
static double prim(const double *x, const void *c) {
  (void)c;
  return skin(g_nb, g_nv, x, x + NA, x + NA + NT, P, R);
}

/* the analytic gradient with respect to A, t and w */
static void analytic(const double *x, double *g) {
  const double *A = x, *t = x + NA, *w = x + NA + NT;
  memset(g, 0, sizeof(double) * NX);
  for (long i = 0; i < g_nv; i++) {
    double v[3] = {0, 0, 0}, y[NB][3], d[NB][3];
    for (long j = 0; j < g_nb; j++) {
      for (int c = 0; c < 3; c++)
        d[j][c] = P[3 * i + c] - R[3 * j + c];
      for (int r = 0; r < 3; r++) {
        y[j][r] = t[3 * j + r];
        for (int c = 0; c < 3; c++)
          y[j][r] += A[9 * j + 3 * r + c] * d[j][c];
        v[r] += w[i * g_nb + j] * y[j][r];
      }
    }
    for (long j = 0; j < g_nb; j++)
      for (int r = 0; r < 3; r++) {
        double s = 2 * w[i * g_nb + j] * v[r];
        g[NA + 3 * j + r] += s;
        for (int c = 0; c < 3; c++)
          g[9 * j + 3 * r + c] += s * d[j][c];
        g[NA + NT + i * g_nb + j] += 2 * v[r] * y[j][r];
      }
  }
}

static double X[NX], D[NX], T[NX], G[NX];

static void check(int weights_active) {
  char what[200];
  memset(D, 0, sizeof D);
  double *dw = D + NA + NT;
  if (weights_active) {
    __enzyme_autodiff((void *)skin, enzyme_const, g_nb, enzyme_const, g_nv, enzyme_dup, X, D,
                      enzyme_dup, X + NA, D + NA, enzyme_dup, X + NA + NT, dw, enzyme_const, P,
                      enzyme_const, R);
  } else {
    __enzyme_autodiff((void *)skin, enzyme_const, g_nb, enzyme_const, g_nv, enzyme_dup, X, D,
                      enzyme_dup, X + NA, D + NA, enzyme_const, X + NA + NT, enzyme_const, P,
                      enzyme_const, R);
  }
  double fwd = __enzyme_fwddiff((void *)skin, enzyme_const, g_nb, enzyme_const, g_nv, enzyme_dup,
                                X, T, enzyme_dup, X + NA, T + NA, enzyme_dup, X + NA + NT,
                                T + NA + NT, enzyme_const, P, enzyme_const, R);
  analytic(X, G);
  if (!weights_active)
    memset(G + NA + NT, 0, sizeof(double) * NV * NB);
  /* only the first nb bones and nv vertices are read: the rest of the gradient stays 0 */
  for (int k = 0; k < NX; k++) {
    snprintf(what, sizeof what, "nb=%ld nv=%ld w%s d/dx[%d] vs analytic", g_nb, g_nv,
             weights_active ? "" : " const", k);
    CHECK_CLOSE(what, D[k], G[k], 1e-12, 1e-12);
  }
  analytic(X, G);
  snprintf(what, sizeof what, "nb=%ld nv=%ld forward = <analytic, t>", g_nb, g_nv);
  CHECK_CLOSE(what, fwd, dotv(G, T, NX), 1e-11, 1e-12);
  if (weights_active) {
    snprintf(what, sizeof what, "nb=%ld nv=%ld forward = <reverse, t>", g_nb, g_nv);
    CHECK_CLOSE(what, fwd, dotv(D, T, NX), 1e-11, 1e-12);
  }
  static const int probe[] = {0, 4, 8, 9 * 7 + 5, NA - 1, NA, NA + 3 * 8 + 2, NA + NT,
                              NA + NT + NB + 3, NX - 1};
  for (unsigned q = 0; q < COUNT_OF(probe); q++) {
    int k = probe[q];
    if (!weights_active && k >= NA + NT)
      continue;
    snprintf(what, sizeof what, "nb=%ld nv=%ld d/dx[%d] vs FD", g_nb, g_nv, k);
    CHECK_CLOSE(what, D[k], fdvc(prim, NULL, X, NX, k), RTOL_FD, ATOL_FD);
  }
}

int main(void) {
  unsigned s = 29;
  for (int k = 0; k < NX; k++) {
    X[k] = prand(&s);
    T[k] = prand(&s);
  }
  for (int k = 0; k < 3 * NV; k++)
    P[k] = prand(&s);
  for (int k = 0; k < 3 * NB; k++)
    R[k] = 0.5 * prand(&s);
  static const long nbs[] = {1, 2, 7, 8, 9, 16, 17}, nvs[] = {0, 1, 5};
  for (unsigned a = 0; a < COUNT_OF(nbs); a++)
    for (unsigned b = 0; b < COUNT_OF(nvs); b++) {
      g_nb = nbs[a];
      g_nv = nvs[b];
      check(1);
      check(0);
    }
  return check_report();
}
