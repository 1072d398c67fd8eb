// Array indices computed by integer division and remainder, which the reverse sweep rebuilds
// instead of taping the addresses and values computed from them: periodic neighbours
// `(i + 1) % n` by the run-time size (a ring, and a 2-D stencil over two swapped buffers), a
// flattened 3-D index split by constant divisors (signed, and unsigned powers of two: shifts),
// and divisors where a rebuilt division must not trap or change sign: a divisor read from memory
// that is zero where the division is skipped, signed divisors of -1 (the quotient is the negated
// dividend, the remainder 0) and negative dividends, unsigned remainders by a run-time size.
// Oracles: central finite differences of the primal, and forward mode against reverse.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_const, enzyme_dup, enzyme_out;

// sum_i u_i^2 (u_{i+1} - u_{i-1}) + sin(u_i) u_{i+1}, periodic
double ring(const double *u, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) {
    double c = u[i], e = u[(i + 1) % n], w = u[(i + n - 1) % n];
    s += c * c * (e - w) + sin(c) * e;
  }
  return s;
}

// steps of a periodic 2-D stencil with a cubic reaction, two buffers swapped; 0.5 |u|^2
double heat(const double *u0, const double *kp, long n, long steps) {
  double *u = malloc(sizeof(double) * n * n), *v = malloc(sizeof(double) * n * n);
  double k = *kp;
  for (long i = 0; i < n * n; i++) u[i] = u0[i];
  for (long t = 0; t < steps; t++) {
    for (long i = 0; i < n; i++)
      for (long j = 0; j < n; j++) {
        long ip = (i + 1) % n, im = (i + n - 1) % n, jp = (j + 1) % n, jm = (j + n - 1) % n;
        double c = u[i * n + j], e = u[i * n + jp], w = u[i * n + jm];
        v[i * n + j] = c + k * (e + w + u[ip * n + j] + u[im * n + j] - 4 * c) - 0.05 * (e - w) -
                       0.1 * c * c * c;
      }
    double *tmp = u;
    u = v;
    v = tmp;
  }
  double f = 0;
  for (long i = 0; i < n * n; i++) f += u[i] * u[i];
  free(u);
  free(v);
  return 0.5 * f;
}

// a flattened 5 x 3 x m/15 index split by constant divisors
#define NX 5
#define NY 3
double grid(const double *u, const double *a, long m) {
  double s = 0;
  for (long k = 0; k < m; k++) {
    long z = k / (NX * NY), y = (k / NX) % NY, x = k % NX;
    s += u[k] * u[k] * a[z * 16 + y * 4 + x] + u[k] * u[(k + 7) % m];
  }
  return s;
}

// unsigned, powers of two (shifts and masks) and a run-time size
double grid_pow2(const double *u, const double *a, unsigned long m, unsigned long p) {
  double s = 0;
  for (unsigned long k = 0; k < m; k++) {
    unsigned long z = k / 16, y = (k / 4) % 4, x = k % 4;
    s += u[k] * u[k] * a[z + y + x] + u[k] * sin(u[(k * 3 + 1) % p]);
  }
  return s;
}

// the divisor read from memory, zero where the division is skipped
double skip(const double *u, const long *d, long n) {
  double s = 0;
  for (long i = 0; i < n; i++)
    if (d[i] != 0) s += u[i] * u[i] * u[(i * 7) / d[i]];
  return s;
}

// signed divisors -1, 1, 2, -3, -2 and negative dividends: indices around the middle
double signs(const double *u, const long *d, long n, long mid) {
  double s = 0;
  for (long i = 0; i < n; i++) {
    long q = (i - 3) / d[i], r = (i - 5) % d[i];
    s += u[i] * u[mid + q] * u[mid + r] + cos(u[mid - q]) * u[i];
  }
  return s;
}

enum { RN = 11, HN = 5, HT = 3, GM = 45, PM = 40, PP = 13, SN = 12, DN = 10, DMID = 12 };

static double ring_at(const double *u) { return ring(u, RN); }

int main(void) {
  const double h = 1e-6;
  {
    double u[RN], du[RN] = {0}, tu[RN];
    for (int i = 0; i < RN; i++) u[i] = 0.3 + 0.1 * i - 0.02 * i * i, tu[i] = 0.5 - 0.07 * i;
    __enzyme_autodiff((void *)ring, enzyme_dup, u, du, enzyme_const, (long)RN);
    CHECK_ARRAY_FD("ring", u, RN, du, h, ring_at(u), RTOL_FD, 1e-8);
    CHECK_CLOSE("ring fwd.rev", __enzyme_fwddiff((void *)ring, enzyme_dup, u, tu, enzyme_const, (long)RN),
                dotv(du, tu, RN), 1e-9, 1e-12);
  }
  {
    double u[HN * HN], du[HN * HN] = {0}, k = 0.1, dk = 0;
    for (int i = 0; i < HN * HN; i++) u[i] = sin(0.7 * i) * 0.8;
    __enzyme_autodiff((void *)heat, enzyme_dup, u, du, enzyme_dup, &k, &dk, enzyme_const, (long)HN,
                      enzyme_const, (long)HT);
    CHECK_ARRAY_FD("heat u0", u, HN * HN, du, h, heat(u, &k, HN, HT), RTOL_FD, 1e-8);
    CHECK_CLOSE("heat k", dk, FD_AT(k, h, heat(u, &k, HN, HT)), RTOL_FD, 1e-8);
  }
  {
    double u[GM], du[GM] = {0}, tu[GM], a[64];
    for (int i = 0; i < GM; i++) u[i] = cos(0.3 * i), tu[i] = 0.2 + 0.01 * i;
    for (int i = 0; i < 64; i++) a[i] = 1 + 0.05 * i;
    __enzyme_autodiff((void *)grid, enzyme_dup, u, du, enzyme_const, a, enzyme_const, (long)GM);
    CHECK_ARRAY_FD("grid", u, GM, du, h, grid(u, a, GM), RTOL_FD, 1e-8);
    CHECK_CLOSE("grid fwd.rev",
                __enzyme_fwddiff((void *)grid, enzyme_dup, u, tu, enzyme_const, a, enzyme_const, (long)GM),
                dotv(du, tu, GM), 1e-9, 1e-12);
  }
  {
    double u[PM], du[PM] = {0}, a[16];
    for (int i = 0; i < PM; i++) u[i] = 0.1 * i - 1;
    for (int i = 0; i < 16; i++) a[i] = 2 - 0.1 * i;
    __enzyme_autodiff((void *)grid_pow2, enzyme_dup, u, du, enzyme_const, a, enzyme_const,
                      (unsigned long)PM, enzyme_const, (unsigned long)PP);
    CHECK_ARRAY_FD("grid_pow2", u, PM, du, h, grid_pow2(u, a, PM, PP), RTOL_FD, 1e-8);
  }
  {
    double u[SN * 8], du[SN * 8] = {0};
    long d[SN] = {0, 1, 2, 0, 3, 0, 7, 5, 0, 4, 0, 9};
    for (int i = 0; i < SN * 8; i++) u[i] = 0.5 + 0.01 * i;
    __enzyme_autodiff((void *)skip, enzyme_dup, u, du, enzyme_const, d, enzyme_const, (long)SN);
    CHECK_ARRAY_FD("skip", u, SN * 8, du, h, skip(u, d, SN), RTOL_FD, 1e-8);
  }
  {
    double u[2 * DMID + 1], du[2 * DMID + 1] = {0}, tu[2 * DMID + 1];
    long d[DN] = {-1, 1, 2, -3, -1, -2, 1, -1, 3, -1};
    for (int i = 0; i < 2 * DMID + 1; i++) u[i] = 0.2 + 0.05 * i - 0.003 * i * i, tu[i] = 1 - 0.04 * i;
    __enzyme_autodiff((void *)signs, enzyme_dup, u, du, enzyme_const, d, enzyme_const, (long)DN,
                      enzyme_const, (long)DMID);
    CHECK_ARRAY_FD("signs", u, 2 * DMID + 1, du, h, signs(u, d, DN, DMID), RTOL_FD, 1e-8);
    CHECK_CLOSE("signs fwd.rev",
                __enzyme_fwddiff((void *)signs, enzyme_dup, u, tu, enzyme_const, d, enzyme_const, (long)DN,
                                 enzyme_const, (long)DMID),
                dotv(du, tu, 2 * DMID + 1), 1e-9, 1e-12);
  }
  return check_report();
}
