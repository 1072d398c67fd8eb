// A combined derivative's primal pointer parameters are `noalias` where the primal's are
// (`restrict`), so values read from them (indices, coefficients) stay in registers across the
// `+=` into shadows. These functions check what that must not change:
//   gather      BA-style: per term, indices from a restrict int array pick entries of two
//               restrict parameter arrays; a restrict output array is written and read back;
//               several `+=` into the same shadow entries per term.
//   shared      two read-only restrict parameters given the SAME array (legal C: neither is
//               written), and so the same shadow buffer, which the derivative writes through
//               both shadow parameters: only the primal parameters are marked, and the
//               gradient of dot(x, x) is 2x.
// Oracles: analytic gradients and central finite differences.
#include "check.h"
#include <math.h>

void __enzyme_autodiff(void *, ...);

enum { NP = 7, NT = 23 };

__attribute__((noinline)) double gather(long nt, const double *restrict p, const double *restrict q,
                                        const int *restrict idx, double *restrict out) {
  double s = 0;
  for (long t = 0; t < nt; t++) {
    int j = idx[2 * t], k = idx[2 * t + 1];
    double a = p[j] * q[k] + sin(p[j]) * q[j];
    out[t] = a;
    s += out[t] * out[t] + p[k] * q[k];
  }
  return 0.5 * s;
}

static double gp[NP], gq[NP], gout[NT];
static int gidx[2 * NT];

static double gather_p(const double *x) {
  return gather(NT, x, gq, gidx, gout);
}

__attribute__((noinline)) double shared(const double *restrict a, const double *restrict b, long n) {
  double s = 0;
  for (long i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

static void check_gather(void) {
  double dp[NP] = {0}, dq[NP] = {0}, dout[NT] = {0}, hp[NP] = {0}, hq[NP] = {0};
  for (int i = 0; i < NP; i++) {
    gp[i] = 0.3 + 0.11 * i;
    gq[i] = 1.2 - 0.07 * i;
  }
  for (int t = 0; t < NT; t++) {
    gidx[2 * t] = (t * 3) % NP;
    gidx[2 * t + 1] = (t * 5 + 1) % NP;
  }
  __enzyme_autodiff((void *)gather, enzyme_const, (long)NT, enzyme_dup, gp, dp, enzyme_dup, gq, dq, enzyme_const,
                    gidx, enzyme_dup, gout, dout);
  for (int t = 0; t < NT; t++) {
    int j = gidx[2 * t], k = gidx[2 * t + 1];
    double a = gp[j] * gq[k] + sin(gp[j]) * gq[j];
    hp[j] += a * (gq[k] + cos(gp[j]) * gq[j]);
    hq[k] += a * gp[j];
    hq[j] += a * sin(gp[j]);
    hp[k] += 0.5 * gq[k];
    hq[k] += 0.5 * gp[k];
  }
  for (int i = 0; i < NP; i++) {
    CHECK_CLOSE("gather dp vs analytic", dp[i], hp[i], 1e-12, 1e-14);
    CHECK_CLOSE("gather dq vs analytic", dq[i], hq[i], 1e-12, 1e-14);
    CHECK_CLOSE("gather dp vs central differences", dp[i], fdv(gather_p, gp, NP, i), RTOL_FD, ATOL_FD);
  }
  /* out[] is overwritten by the function: its incoming shadow gets nothing */
  for (int t = 0; t < NT; t++)
    CHECK_CLOSE("gather dout", dout[t], 0.0, 0.0, 0.0);
}

static void check_shared(void) {
  enum { N = 19 };
  double x[N], y[N], g[N] = {0}, dx[N] = {0}, dy[N] = {0};
  for (int i = 0; i < N; i++) {
    x[i] = 0.5 - 0.09 * i;
    y[i] = 0.25 + 0.04 * i;
  }
  /* the same array and the same shadow buffer for both parameters */
  __enzyme_autodiff((void *)shared, enzyme_dup, x, g, enzyme_dup, x, g, enzyme_const, (long)N);
  for (int i = 0; i < N; i++)
    CHECK_CLOSE("shared d(x.x)/dx", g[i], 2 * x[i], 1e-15, 1e-15);
  __enzyme_autodiff((void *)shared, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, (long)N);
  for (int i = 0; i < N; i++) {
    CHECK_CLOSE("shared d(x.y)/dx", dx[i], y[i], 1e-15, 1e-15);
    CHECK_CLOSE("shared d(x.y)/dy", dy[i], x[i], 1e-15, 1e-15);
  }
}

int main(void) {
  check_gather();
  check_shared();
  return check_report();
}
