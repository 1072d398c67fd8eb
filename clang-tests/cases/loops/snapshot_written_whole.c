// Stage snapshots stored by the loop that fills the buffer: a time loop whose stage input `tmp`
// is written whole by one loop (`tmp[i] = u[i] + h k[i]`, i = 0..n-1) right before the loop that
// reads it with its neighbours. The forward sweep keeps a copy of `tmp` per step for the reverse
// sweep; where the writing loop stores every element once and nothing else writes `tmp` between
// it and the reading loop, the copy's row is stored by the writing loop itself next to its own
// store (`-ferment-print-tape`: "stored by the loop that writes it whole"), else `tmp` is copied
// whole on entry to the reading loop as before. Variants, each checked against central finite
// differences over the initial state and both coefficients:
//   whole        the fused shape (also with n = 1, and with n = 2),
//   short_write  the writing loop stops one element short (i < n-1): the last element keeps the
//                previous stage's value, which the copy must hold (no fusion),
//   poke_between one more store into tmp between the writing and the reading loop (no fusion),
//   cond_store   the writing loop stores only every third element (the store does not run in
//                every iteration: no fusion),
//   neighbour    the writing loop also adds into the element an earlier iteration wrote
//                (two stores into tmp: no fusion),
//   two_buffers  one loop fills two stage buffers: `tmp`, read by the next loop, is fused; `t2`,
//                read only after that loop, is copied on entry to its reader.
// RUN: clang opt
#include "check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);

#define N 11
#define STEPS 4
#define H 0.05

static double U0[N], COEF[2];

static void rhs(long n, const double *y, double d, double k, double *out) {
  for (long i = 0; i < n; i++) {
    double l = i > 0 ? y[i - 1] : y[i];
    double r = i < n - 1 ? y[i + 1] : y[i];
    out[i] = d * (l - 2 * y[i] + r) + k * y[i] * (1 - y[i]);
  }
}

#define ALLOC4                                                                                    \
  double *u = malloc(sizeof(double) * n), *k1 = malloc(sizeof(double) * n);                       \
  double *k2 = malloc(sizeof(double) * n), *tmp = malloc(sizeof(double) * n);                     \
  double d = c[0], k = c[1];                                                                      \
  memcpy(u, u0, sizeof(double) * n)

#define FREE4_RETURN                                                                              \
  double f = 0;                                                                                   \
  for (long i = 0; i < n; i++) f += (u[i] - 0.5) * (u[i] - 0.5) * (1 + 0.1 * (double)i);         \
  free(u);                                                                                        \
  free(k1);                                                                                       \
  free(k2);                                                                                       \
  free(tmp);                                                                                      \
  return f

__attribute__((noinline)) double whole(long n, long steps, const double *restrict u0, const double *restrict c) {
  ALLOC4;
  for (long s = 0; s < steps; s++) {
    rhs(n, u, d, k, k1);
    for (long i = 0; i < n; i++) tmp[i] = u[i] + H * k1[i];
    rhs(n, tmp, d, k, k2);
    for (long i = 0; i < n; i++) u[i] += 0.5 * H * (k1[i] + k2[i]);
  }
  FREE4_RETURN;
}

__attribute__((noinline)) double short_write(long n, long steps, const double *restrict u0,
                                             const double *restrict c) {
  ALLOC4;
  for (long i = 0; i < n; i++) tmp[i] = 0.3 * u[i];
  for (long s = 0; s < steps; s++) {
    rhs(n, u, d, k, k1);
    for (long i = 0; i < n - 1; i++) tmp[i] = u[i] + H * k1[i];
    rhs(n, tmp, d, k, k2);
    for (long i = 0; i < n; i++) u[i] += 0.5 * H * (k1[i] + k2[i]);
    tmp[n - 1] = u[n - 1] * u[0];
  }
  FREE4_RETURN;
}

__attribute__((noinline)) double poke_between(long n, long steps, const double *restrict u0,
                                              const double *restrict c) {
  ALLOC4;
  for (long s = 0; s < steps; s++) {
    rhs(n, u, d, k, k1);
    for (long i = 0; i < n; i++) tmp[i] = u[i] + H * k1[i];
    tmp[n / 2] = tmp[n / 2] * tmp[0] + k1[n - 1];
    rhs(n, tmp, d, k, k2);
    for (long i = 0; i < n; i++) u[i] += 0.5 * H * (k1[i] + k2[i]);
  }
  FREE4_RETURN;
}

__attribute__((noinline)) double cond_store(long n, long steps, const double *restrict u0,
                                            const double *restrict c) {
  ALLOC4;
  for (long i = 0; i < n; i++) tmp[i] = u[i];
  for (long s = 0; s < steps; s++) {
    rhs(n, u, d, k, k1);
    for (long i = 0; i < n; i++)
      if (i % 3 != 1) tmp[i] = u[i] + H * k1[i];
    rhs(n, tmp, d, k, k2);
    for (long i = 0; i < n; i++) u[i] += 0.5 * H * (k1[i] + k2[i]);
  }
  FREE4_RETURN;
}

__attribute__((noinline)) double neighbour(long n, long steps, const double *restrict u0,
                                           const double *restrict c) {
  ALLOC4;
  for (long s = 0; s < steps; s++) {
    rhs(n, u, d, k, k1);
    for (long i = 0; i < n; i++) {
      tmp[i] = u[i] + H * k1[i];
      if (i > 0) tmp[i - 1] += 0.25 * H * k1[i] * u[i];
    }
    rhs(n, tmp, d, k, k2);
    for (long i = 0; i < n; i++) u[i] += 0.5 * H * (k1[i] + k2[i]);
  }
  FREE4_RETURN;
}

__attribute__((noinline)) double two_buffers(long n, long steps, const double *restrict u0,
                                             const double *restrict c) {
  ALLOC4;
  double *t2 = malloc(sizeof(double) * n), *k3 = malloc(sizeof(double) * n);
  for (long s = 0; s < steps; s++) {
    rhs(n, u, d, k, k1);
    for (long i = 0; i < n; i++) {
      tmp[i] = u[i] + H * k1[i];
      t2[i] = u[i] - 0.5 * H * k1[i];
    }
    rhs(n, tmp, d, k, k2);
    rhs(n, t2, d, k, k3);
    for (long i = 0; i < n; i++) u[i] += 0.5 * H * (k1[i] + k2[i]) + 0.1 * H * k3[i] * k3[i];
  }
  free(t2);
  free(k3);
  FREE4_RETURN;
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

/* a macro: the AD call needs the function itself */
#define CHECK_FD(what, f, n)                                                                      \
  do {                                                                                            \
    double du_[N] = {0}, dc_[2] = {0};                                                            \
    __enzyme_autodiff((void *)f, enzyme_const, (long)(n), enzyme_const, (long)STEPS, enzyme_dup, U0, \
                      du_, enzyme_dup, COEF, dc_);                                                \
    fd_compare(what, f, n, du_, dc_);                                                             \
  } while (0)

int main(void) {
  for (long i = 0; i < N; i++) U0[i] = 0.2 + 0.6 * (double)((i * 5) % 7) / 7.0;
  COEF[0] = 0.4;
  COEF[1] = 0.7;
  CHECK_FD("whole vs central differences", whole, N);
  CHECK_FD("whole (n = 1) vs central differences", whole, 1);
  CHECK_FD("whole (n = 2) vs central differences", whole, 2);
  CHECK_FD("short_write vs central differences", short_write, N);
  CHECK_FD("poke_between vs central differences", poke_between, N);
  CHECK_FD("cond_store vs central differences", cond_store, N);
  CHECK_FD("neighbour vs central differences", neighbour, N);
  CHECK_FD("two_buffers vs central differences", two_buffers, N);
  return check_report();
}
