// Reverse loops of stencils with clamped indices (`u[i >= 2 ? i-2 : 0]`, `u[min(i+1, n-1)]`:
// usub.sat, smin, smax, umin after InstCombine), whose `du[...] +=` / `-=` go to a moving element
// while the clamp's test holds and to a fixed one (`du[0]`, `du[n-1]`, `du[2]`) otherwise: the
// clamped addresses are rebuilt in the reverse sweep (not taped), the moving positions rotated
// into registers, the fixed elements' partial sums carried and added at the exit (shim
// `ferment_rotate_accumulations`). Each variant against central finite differences over the
// initial state and both coefficients, n from 1 to 9 (fixed and moving elements meet):
//   low_high   usub.sat and smin clamps on both sides, a `-=` contribution,
//   signed_mid nested smax/smin clamps to interior elements (u[2], u[n-3]): not rotated (a clamp
//              of a clamp), the derivative must still be right,
//   unsigned   an unsigned index clamped with umin.
// RUN: clang opt
#include "check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);

#define NMAX 9
#define STEPS 3
#define H 0.05

static double U0[NMAX], COEF[2];

static long lmin(long a, long b) { return a < b ? a : b; }
static long lmax(long a, long b) { return a > b ? a : b; }

__attribute__((noinline)) double low_high(long n, long steps, const double *restrict u0,
                                          const double *restrict c) {
  double *u = malloc(sizeof(double) * n), *out = malloc(sizeof(double) * n);
  double d = c[0], k = c[1];
  memcpy(u, u0, sizeof(double) * n);
  for (long s = 0; s < steps; s++) {
    for (long i = 0; i < n; i++) {
      double l2 = u[i >= 2 ? i - 2 : 0], l1 = u[i >= 1 ? i - 1 : 0];
      double r1 = u[lmin(i + 1, n - 1)], r2 = u[lmin(i + 2, n - 1)];
      out[i] = d * (0.5 * l2 + l1 - 3 * u[i] + r1 - 0.5 * r2) + k * u[i] * l1 - 0.1 * r2;
    }
    for (long i = 0; i < n; i++) u[i] += H * out[i];
  }
  double f = 0;
  for (long i = 0; i < n; i++) f += u[i] * u[i] * (1 + 0.2 * (double)i);
  free(u);
  free(out);
  return f;
}

__attribute__((noinline)) double signed_mid(long n, long steps, const double *restrict u0,
                                            const double *restrict c) {
  double *u = malloc(sizeof(double) * n), *out = malloc(sizeof(double) * n);
  double d = c[0], k = c[1];
  long hi = n - 3 > 0 ? n - 3 : 0;
  memcpy(u, u0, sizeof(double) * n);
  for (long s = 0; s < steps; s++) {
    for (long i = 0; i < n; i++) {
      double a = u[lmin(lmax(i - 1, 2 < n ? 2 : 0), n - 1)];
      double b = u[lmax(lmin(i + 1, hi), 0)];
      out[i] = d * (a - 2 * u[i] + b) + k * sin(u[i] + a);
    }
    for (long i = 0; i < n; i++) u[i] += H * out[i];
  }
  double f = 0;
  for (long i = 0; i < n; i++) f += (u[i] - 0.2) * (u[i] - 0.2) * (2 + (double)i);
  free(u);
  free(out);
  return f;
}

__attribute__((noinline)) double unsigned_idx(long n, long steps, const double *restrict u0,
                                              const double *restrict c) {
  double *u = malloc(sizeof(double) * n), *out = malloc(sizeof(double) * n);
  double d = c[0], k = c[1];
  unsigned long last = (unsigned long)n - 1;
  memcpy(u, u0, sizeof(double) * n);
  for (long s = 0; s < steps; s++) {
    for (unsigned long i = 0; i < (unsigned long)n; i++) {
      unsigned long r = i + 1 < last ? i + 1 : last;
      out[i] = d * (u[r] - u[i]) + k * u[r] * u[i];
    }
    for (long i = 0; i < n; i++) u[i] += H * out[i];
  }
  double f = 0;
  for (long i = 0; i < n; i++) f += u[i] * u[i] * u[i];
  free(u);
  free(out);
  return f;
}

typedef double (*integrator)(long, long, const double *, const double *);

static void fd_compare(const char *what, integrator f, long n, const double *du, const double *dc) {
  const double h = 1e-6;
  for (long k = 0; k < n + 2; k++) {
    double *x = k < n ? &U0[k] : &COEF[k - n];
    double s = *x;
    *x = s + h;
    double fp = f(n, STEPS, U0, COEF);
    *x = s - h;
    double fm = f(n, STEPS, U0, COEF);
    *x = s;
    CHECK_CLOSE(what, k < n ? du[k] : dc[k - n], (fp - fm) / (2 * h), 1e-6, 1e-8);
  }
}

#define CHECK_FD(what, f, n)                                                                      \
  do {                                                                                            \
    double du_[NMAX] = {0}, dc_[2] = {0};                                                         \
    __enzyme_autodiff((void *)f, enzyme_const, (long)(n), enzyme_const, (long)STEPS, enzyme_dup, U0, \
                      du_, enzyme_dup, COEF, dc_);                                                \
    fd_compare(what, f, n, du_, dc_);                                                             \
  } while (0)

int main(void) {
  for (long i = 0; i < NMAX; i++) U0[i] = 0.2 + 0.6 * (double)((i * 5) % 7) / 7.0;
  COEF[0] = 0.4;
  COEF[1] = 0.7;
  for (long n = 1; n <= NMAX; n++) {
    CHECK_FD("low_high vs central differences", low_high, n);
    CHECK_FD("signed_mid vs central differences", signed_mid, n);
    CHECK_FD("unsigned vs central differences", unsigned_idx, n);
  }
  return check_report();
}
