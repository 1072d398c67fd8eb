// Snapshot rows stored by the loop that reads the buffer whole: a Gaussian-mixture-like nest
// (benches/src/gmm.c) where, per data point and component, a scratch `qx = Q (x - mu)` is built by
// two loops and then read whole by `|qx|^2`, whose result the next loop needs. The reverse sweep
// needs `qx` as it was there, so the forward sweep keeps one copy of it per (point, component);
// where the loop right after the copy loads every element once (i = 0..d-1, in every iteration)
// and writes none, the copy's row is stored next to that load instead of by `memcpy`
// (`-ferment-print-tape`: "stored by the loop that reads it whole after the copy"). Variants, each
// checked against central finite differences over every parameter:
//   whole      the fused shape (also with d = 1 and d = 2),
//   short_read the reading loop stops one element short and a later loop reads the last one (the
//              copy must hold it: no fusion),
//   cond_read  the reading loop loads only some elements (not in every iteration: no fusion),
//   dead_sum   the reading loop's sum only feeds the returned value, so the forward sweep drops
//              that loop: the copy stays a `memcpy` (no fusion).
// RUN: clang opt
#include "check.h"
#include <math.h>
#include <stdlib.h>

void __enzyme_autodiff(void *, ...);

#define D 7
#define K 3
#define NPT 5
#define NP (K * D + K * D)

static double P[NP], X[NPT * D];

/* params: mu[K][D], q[K][D] (log of Q's diagonal); Q's strictly-lower part is fixed */
static double lower(long i, long j) { return 0.1 * (double)((i * 3 + j * 5) % 7) - 0.3; }

#define BODY_START                                                                                \
  const double *mu = p, *q = p + K * d;                                                           \
  double *xc = malloc(sizeof(double) * d), *qx = malloc(sizeof(double) * d);                      \
  double *mt = malloc(sizeof(double) * K);                                                        \
  double f = 0;                                                                                   \
  for (long ix = 0; ix < NPT; ix++) {                                                             \
    for (long ik = 0; ik < K; ik++) {                                                             \
      for (long i = 0; i < d; i++) xc[i] = x[ix * d + i] - mu[ik * d + i];                        \
      for (long i = 0; i < d; i++) qx[i] = exp(q[ik * d + i]) * xc[i];                            \
      for (long i = 0; i < d; i++)                                                                \
        for (long j = i + 1; j < d; j++) qx[j] += lower(i, j) * xc[i];

#define BODY_END                                                                                  \
    }                                                                                             \
    double m = mt[0];                                                                             \
    for (long ik = 1; ik < K; ik++) m = fmax(m, mt[ik]);                                          \
    double s = 0;                                                                                 \
    for (long ik = 0; ik < K; ik++) s += exp(mt[ik] - m);                                         \
    f += log(s) + m;                                                                              \
  }                                                                                               \
  free(xc);                                                                                       \
  free(qx);                                                                                       \
  free(mt);

__attribute__((noinline)) double whole(long d, const double *restrict p, const double *restrict x) {
  BODY_START
  double n2 = 0;
  for (long i = 0; i < d; i++) n2 += qx[i] * qx[i];
  mt[ik] = -0.5 * n2;
  BODY_END
  return f;
}

__attribute__((noinline)) double short_read(long d, const double *restrict p, const double *restrict x) {
  BODY_START
  double n2 = 0;
  for (long i = 0; i < d - 1; i++) n2 += qx[i] * qx[i];
  mt[ik] = -0.5 * n2 - 0.25 * qx[d - 1] * qx[d - 1] * qx[0];
  BODY_END
  return f;
}

__attribute__((noinline)) double cond_read(long d, const double *restrict p, const double *restrict x) {
  BODY_START
  double n2 = 0;
  for (long i = 0; i < d; i++)
    if (i % 3 != 1) n2 += qx[i] * qx[i];
  mt[ik] = -0.5 * n2 + 0.1 * qx[d / 2];
  BODY_END
  return f;
}

__attribute__((noinline)) double dead_sum(long d, const double *restrict p, const double *restrict x) {
  double g = 0;
  BODY_START
  for (long i = 0; i < d; i++) g += qx[i] * qx[i] * 0.01;
  mt[ik] = -0.5 * qx[0] * qx[d - 1];
  BODY_END
  return f + g;
}

typedef double (*objective)(long, const double *, const double *);

static void fd_compare(const char *what, objective f, long d, const double *g) {
  const double h = 1e-6;
  for (long k = 0; k < 2 * K * d; k++) {
    double s = P[k];
    P[k] = s + h;
    double fp = f(d, P, X);
    P[k] = s - h;
    double fm = f(d, P, X);
    P[k] = s;
    CHECK_CLOSE_AT(what, (int)k, g[k], (fp - fm) / (2 * h), 1e-6, 1e-8);
  }
}

#define CHECK_FD(what, f, d)                                                                      \
  do {                                                                                            \
    double g_[NP] = {0};                                                                          \
    __enzyme_autodiff((void *)f, enzyme_const, (long)(d), enzyme_dup, P, g_, enzyme_const, X);    \
    fd_compare(what, f, d, g_);                                                                   \
  } while (0)

int main(void) {
  for (long i = 0; i < NP; i++) P[i] = 0.3 * sin(1.3 * (double)i + 0.2);
  for (long i = 0; i < NPT * D; i++) X[i] = 0.8 * cos(0.7 * (double)i);
  CHECK_FD("whole vs central differences", whole, D);
  CHECK_FD("whole (d = 1) vs central differences", whole, 1);
  CHECK_FD("whole (d = 2) vs central differences", whole, 2);
  CHECK_FD("short_read vs central differences", short_read, D);
  CHECK_FD("cond_read vs central differences", cond_read, D);
  CHECK_FD("dead_sum vs central differences", dead_sum, D);
  return check_report();
}
