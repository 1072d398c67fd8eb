// Snapshots on entry to an inner loop: a time loop whose stages fill a scratch buffer in one
// loop and read it, neighbours included (boundary selects `i > 0 ? y[i-1] : y[i]`), in the
// next loop, which writes other memory. The reading loop's loads cannot be read again in the
// reverse sweep (the next stage overwrites the buffer), and a neighbour sum built from three of
// them would be taped per element; since nothing inside the reading loop writes the buffer, the
// forward sweep copies it once on entry to that loop (per time step) and the reverse sweep
// rebuilds the loads, and all arithmetic on them, from the copy (`-ferment-print-tape` says
// "snapshot ... on entry to an inner loop"). The boundary selects' unchosen address is out of
// bounds at the ends (y[n]): valgrind-O2 catches an adjoint that touches it. Variants, each
// checked against central finite differences over the initial state and both coefficients:
//   stages       two stages per step into one scratch buffer (malloc), selects at both ends,
//   ptr_select   the boundary written as a pointer select (`*(i < n-1 ? &y[i+1] : &y[i])`)
//                and a nonlinear use (sin),
//   empty_ok     calloc'd buffers, n may be 1 (both selects pick the element itself),
//   in_place     the reading loop also writes the buffer it reads (y[i] updated in place, so a
//                later element's load sees it): no snapshot may be taken (taped),
//   same_alloc   the reading loop writes the other half of the same allocation: no snapshot
//                (taped).
// RUN: clang opt
#include "check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);

#define N 9
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

__attribute__((noinline)) double stages(long n, long steps, const double *restrict u0, const double *restrict c) {
  double *u = malloc(sizeof(double) * n), *k1 = malloc(sizeof(double) * n);
  double *k2 = malloc(sizeof(double) * n), *tmp = malloc(sizeof(double) * n);
  double d = c[0], k = c[1];
  memcpy(u, u0, sizeof(double) * n);
  for (long s = 0; s < steps; s++) {
    rhs(n, u, d, k, k1);
    for (long i = 0; i < n; i++) tmp[i] = u[i] + H * k1[i];
    rhs(n, tmp, d, k, k2);
    for (long i = 0; i < n; i++) u[i] += 0.5 * H * (k1[i] + k2[i]);
  }
  double f = 0;
  for (long i = 0; i < n; i++) f += (u[i] - 0.5) * (u[i] - 0.5) * (1 + 0.1 * (double)i);
  free(u);
  free(k1);
  free(k2);
  free(tmp);
  return f;
}

__attribute__((noinline)) double ptr_select(long n, long steps, const double *restrict u0,
                                            const double *restrict c) {
  double *y = malloc(sizeof(double) * n), *g = malloc(sizeof(double) * n);
  double d = c[0], k = c[1];
  for (long i = 0; i < n; i++) y[i] = u0[i];
  for (long s = 0; s < steps; s++) {
    for (long i = 0; i < n; i++) {
      double l = *(i > 0 ? &y[i - 1] : &y[i]);
      double r = *(i < n - 1 ? &y[i + 1] : &y[i]);
      g[i] = d * (l + r) * y[i] + k * sin(y[i]);
    }
    for (long i = 0; i < n; i++) y[i] += H * g[i];
  }
  double f = 0;
  for (long i = 0; i < n; i++) f += y[i] * y[i] * y[i];
  free(y);
  free(g);
  return f;
}

__attribute__((noinline)) double empty_ok(long n, long steps, const double *restrict u0, const double *restrict c) {
  double *u = calloc(n, sizeof(double)), *k1 = calloc(n, sizeof(double));
  double d = c[0], k = c[1];
  for (long i = 0; i < n; i++) u[i] = u0[i];
  for (long s = 0; s < steps; s++) {
    rhs(n, u, d, k, k1);
    for (long i = 0; i < n; i++) u[i] += H * k1[i] * k1[i];
  }
  double f = 0;
  for (long i = 0; i < n; i++) f += u[i] * (1 + u[i]);
  free(u);
  free(k1);
  return f;
}

__attribute__((noinline)) double in_place(long n, long steps, const double *restrict u0, const double *restrict c) {
  double *u = malloc(sizeof(double) * n);
  double d = c[0], k = c[1];
  for (long i = 0; i < n; i++) u[i] = u0[i];
  for (long s = 0; s < steps; s++) {
    for (long i = 0; i < n; i++) {
      double l = i > 0 ? u[i - 1] : u[i];
      double r = i < n - 1 ? u[i + 1] : u[i];
      u[i] += H * (d * (l - 2 * u[i] + r) + k * u[i] * (1 - u[i]));
    }
  }
  double f = 0;
  for (long i = 0; i < n; i++) f += u[i] * u[i] * (2 + (double)i);
  free(u);
  return f;
}

__attribute__((noinline)) double same_alloc(long n, long steps, const double *restrict u0, const double *restrict c) {
  double *a = malloc(sizeof(double) * 2 * n);
  double d = c[0], k = c[1];
  double *u = a, *out = a + n;
  for (long i = 0; i < n; i++) u[i] = u0[i];
  for (long s = 0; s < steps; s++) {
    rhs(n, u, d, k, out);
    for (long i = 0; i < n; i++) u[i] += H * out[i];
  }
  double f = 0;
  for (long i = 0; i < n; i++) f += u[i] * u[i] * u[i];
  free(a);
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
  CHECK_FD("stages vs central differences", stages, N);
  CHECK_FD("ptr_select vs central differences", ptr_select, N);
  CHECK_FD("empty_ok vs central differences", empty_ok, N);
  CHECK_FD("empty_ok (n = 1) vs central differences", empty_ok, 1);
  CHECK_FD("in_place vs central differences", in_place, N);
  CHECK_FD("same_alloc vs central differences", same_alloc, N);
  return check_report();
}
