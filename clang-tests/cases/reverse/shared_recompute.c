// A value the reverse sweep recomputes instead of taping (a pair's r^2, 1/r^2, s^6; an
// accumulated chain of products) is needed by many partials of one block: the reverse sweep builds
// it once per block and reuses it until something that may change what it reads (a call of a
// function that writes memory) ends the run. Variants, each checked against central finite
// differences of the primal:
//   pairs    a Lennard-Jones-like pair energy with an exp term and a cutoff branch (the chain is
//            shared by the partials of every product and by the branch condition),
//   inplace  a block that reads an active scratch array, overwrites it, calls a function that
//            rewrites it, and reads it again (the reads on both sides of the call and of the
//            stores are different values; the chain around the call is rebuilt after it),
//   pure     math calls (sqrt, exp, sin/cos) between the uses of one chain.
// RUN: clang opt
#include "check.h"
#include <math.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

#define N 7

__attribute__((noinline)) double pairs(const double *x, long n) {
  double e = 0;
  for (long i = 0; i < n; i++)
    for (long j = i + 1; j < n; j++) {
      double dx = x[3 * i] - x[3 * j], dy = x[3 * i + 1] - x[3 * j + 1], dz = x[3 * i + 2] - x[3 * j + 2];
      double r2 = dx * dx + dy * dy + dz * dz;
      double s2 = 1.0 / r2, s6 = s2 * s2 * s2;
      if (r2 < 9.0)
        e += 4.0 * (s6 * s6 - s6) * (1.0 + 0.1 * dx) + exp(-r2) * dy;
      else
        e += 0.01 * r2 * dz;
    }
  return e;
}

__attribute__((noinline)) static void bump(double *w, long n) {
  for (long k = 0; k < n; k++)
    w[k] = w[k] * 0.5 + w[(k + 1) % n] * w[k];
}

__attribute__((noinline)) double inplace(const double *x, double *w, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) {
    double a = x[i] * x[i] + w[i] * x[(i + 1) % n];
    double b = a * w[i] + x[i] * a;
    w[i] = b * 0.25;
    double c = w[i] * a + w[(i + 2) % n] * b;
    bump(w, n);
    double d = w[i] * a + w[(i + 1) % n] * b * c;
    s += d * c + a * b;
  }
  return s;
}

__attribute__((noinline)) double pure(const double *x, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) {
    double u = x[i] * x[(i + 1) % n] + 1.5;
    double r = sqrt(u * u + x[i] * x[i]);
    double t = exp(-0.1 * r) * u;
    double p = sin(r) * t + cos(r) * u * r;
    s += p * u + r * t;
  }
  return s;
}

static double f_pairs(const double *v, const void *c) {
  (void)c;
  return pairs(v, N);
}
static double f_inplace(const double *v, const void *c) {
  (void)c;
  double w[N];
  memcpy(w, v + N, sizeof w);
  return inplace(v, w, N);
}
static double f_pure(const double *v, const void *c) {
  (void)c;
  return pure(v, N);
}

int main(void) {
  double v[3 * N], g[3 * N];
  unsigned seed = 5;
  for (int i = 0; i < 3 * N; i++)
    v[i] = 0.3 * i + 0.4 * prand(&seed); // particles spread out: some pairs beyond the cutoff

  memset(g, 0, sizeof g);
  __enzyme_autodiff((void *)pairs, enzyme_dup, v, g, enzyme_const, (long)N);
  CHECK_GRAD_FD("pairs", f_pairs, 0, v, 3 * N, g, RTOL_FD, ATOL_FD);

  {
    double u[2 * N], w[N], dw[N];
    for (int i = 0; i < 2 * N; i++)
      u[i] = 0.2 + 0.5 * prand(&seed);
    memcpy(w, u + N, sizeof w);
    memset(g, 0, sizeof g);
    memset(dw, 0, sizeof dw);
    __enzyme_autodiff((void *)inplace, enzyme_dup, u, g, enzyme_dup, w, dw, enzyme_const, (long)N);
    memcpy(g + N, dw, sizeof dw);
    CHECK_GRAD_FD("inplace", f_inplace, 0, u, 2 * N, g, RTOL_FD, ATOL_FD);
  }

  memset(g, 0, sizeof g);
  __enzyme_autodiff((void *)pure, enzyme_dup, v, g, enzyme_const, (long)N);
  CHECK_GRAD_FD("pure", f_pure, 0, v, N, g, RTOL_FD, ATOL_FD);

  return check_report();
}
