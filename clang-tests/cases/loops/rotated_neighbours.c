// Reverse loops whose adjoints go to neighbouring shadow elements (`du[i-1], du[i], du[i+1]`
// += ...) become one read-modify-write per iteration with the other partial sums carried in
// registers, so the vectorizer takes them (shim `ferment_rotate_accumulations`). Boundary selects
// (`i < n-1 ? u[i+1] : u[i]`) contribute to both positions under the select's condition and
// an element is only touched where the original loop touched it: the unchosen address is out of
// bounds at the ends (u[n], u[-1], u[n+1]), which valgrind-O2 catches. Variants, each checked
// against central finite differences over the initial state and both coefficients:
//   three_point  both boundary selects, RK2 stages into malloc'd scratch buffers,
//   five_point   a clamped 5-point stencil (`i+2 < n ? i+2 : n-1`...), n may be 2 or 3,
//   downward     the primal loop runs downward (its reverse loop upward),
//   ptr_select   boundaries written as pointer selects, and only one unconditional position,
//   aliased      the stencil reads and writes halves of one allocation: not rotated (the
//                derivative must still be right),
//   single       n = 1: every select picks the element itself.
// RUN: clang opt
#include "check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);

#define N 11
#define STEPS 3
#define H 0.05

static double U0[N], COEF[2];

static void rhs3(long n, const double *y, double d, double k, double *out) {
  for (long i = 0; i < n; i++) {
    double l = i > 0 ? y[i - 1] : y[i];
    double r = i < n - 1 ? y[i + 1] : y[i];
    out[i] = d * (l - 2 * y[i] + r) + k * y[i] * (1 - y[i]);
  }
}

__attribute__((noinline)) double three_point(long n, long steps, const double *restrict u0,
                                             const double *restrict c) {
  double *u = malloc(sizeof(double) * n), *k1 = malloc(sizeof(double) * n);
  double *k2 = malloc(sizeof(double) * n), *tmp = malloc(sizeof(double) * n);
  double d = c[0], k = c[1];
  memcpy(u, u0, sizeof(double) * n);
  for (long s = 0; s < steps; s++) {
    rhs3(n, u, d, k, k1);
    for (long i = 0; i < n; i++) tmp[i] = u[i] + H * k1[i];
    rhs3(n, tmp, d, k, k2);
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

__attribute__((noinline)) double five_point(long n, long steps, const double *restrict u0,
                                            const double *restrict c) {
  double *u = malloc(sizeof(double) * n), *out = malloc(sizeof(double) * n);
  double d = c[0], k = c[1];
  memcpy(u, u0, sizeof(double) * n);
  for (long s = 0; s < steps; s++) {
    for (long i = 0; i < n; i++) {
      double l2 = u[i >= 2 ? i - 2 : 0], l1 = u[i >= 1 ? i - 1 : 0];
      double r1 = u[i + 1 < n ? i + 1 : n - 1], r2 = u[i + 2 < n ? i + 2 : n - 1];
      out[i] = d * (-l2 + 16 * l1 - 30 * u[i] + 16 * r1 - r2) / 12 + k * sin(u[i]);
    }
    for (long i = 0; i < n; i++) u[i] += H * out[i];
  }
  double f = 0;
  for (long i = 0; i < n; i++) f += u[i] * u[i] * (2 + (double)i);
  free(u);
  free(out);
  return f;
}

__attribute__((noinline)) double downward(long n, long steps, const double *restrict u0,
                                          const double *restrict c) {
  double *u = malloc(sizeof(double) * n), *out = malloc(sizeof(double) * n);
  double d = c[0], k = c[1];
  memcpy(u, u0, sizeof(double) * n);
  for (long s = 0; s < steps; s++) {
    for (long i = n - 1; i >= 0; i--) {
      double l = i > 0 ? u[i - 1] : u[i];
      double r = i < n - 1 ? u[i + 1] : u[i];
      out[i] = d * (l - 2 * u[i] + r) * (1 + 0.1 * (double)i) + k * u[i] * u[i];
    }
    for (long i = 0; i < n; i++) u[i] += H * out[i];
  }
  double f = 0;
  for (long i = 0; i < n; i++) f += (u[i] - 0.3) * (u[i] - 0.3) * (u[i] + 1);
  free(u);
  free(out);
  return f;
}

__attribute__((noinline)) double ptr_select(long n, long steps, const double *restrict u0,
                                            const double *restrict c) {
  double *u = malloc(sizeof(double) * n), *out = malloc(sizeof(double) * n);
  double d = c[0], k = c[1];
  memcpy(u, u0, sizeof(double) * n);
  for (long s = 0; s < steps; s++) {
    for (long i = 0; i < n; i++) {
      double l = *(i > 0 ? &u[i - 1] : &u[i]);
      double r = *(i < n - 1 ? &u[i + 1] : &u[i]);
      out[i] = d * sin(l + r) + k * l * r;
    }
    for (long i = 0; i < n; i++) u[i] += H * out[i];
  }
  double f = 0;
  for (long i = 0; i < n; i++) f += u[i] * u[i] * u[i];
  free(u);
  free(out);
  return f;
}

__attribute__((noinline)) double aliased(long n, long steps, const double *restrict u0,
                                         const double *restrict c) {
  double *a = malloc(sizeof(double) * 2 * n);
  double d = c[0], k = c[1];
  double *u = a, *out = a + n;
  memcpy(u, u0, sizeof(double) * n);
  for (long s = 0; s < steps; s++) {
    rhs3(n, u, d, k, out);
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
  CHECK_FD("three_point vs central differences", three_point, N);
  CHECK_FD("three_point (n = 2) vs central differences", three_point, 2);
  CHECK_FD("five_point vs central differences", five_point, N);
  CHECK_FD("five_point (n = 3) vs central differences", five_point, 3);
  CHECK_FD("five_point (n = 2) vs central differences", five_point, 2);
  CHECK_FD("downward vs central differences", downward, N);
  CHECK_FD("ptr_select vs central differences", ptr_select, N);
  CHECK_FD("aliased vs central differences", aliased, N);
  CHECK_FD("single (n = 1) vs central differences", three_point, 1);
  CHECK_FD("single five_point (n = 1) vs central differences", five_point, 1);
  return check_report();
}
