// Loads of a scratch buffer that an earlier sibling loop (same parent loop, same counted
// iterations) already read in the same outer iteration: where nothing writes the buffer in
// between, the reverse sweep reads the earlier loop's taped value (tests/derivative_size.rs
// counts the taped loads); where something does, the later load must see the new value. Cases:
//   cg        conjugate-gradient-like iterations on a 1-D operator with an active reaction
//             term: p[k] read by the dot product p.q, the update x += a p and p = r + b p (a
//             store of p[k] after the load of p[k] in the same iteration), q[k] by two loops,
//   between   a loop between the two readers rewrites p[k] (p[k] = sin(p[k])),
//   neighbour the later loop stores p[k + 1] after reading p[k]: a later iteration reads it,
//   offset    the later loop starts at 1 (iteration t reads p[t + 1], not p[t]),
//   before    the later loop stores p[k] before reading it again,
//   partial   the earlier loop reads p[k] only on odd k.
// p and q have one element more than the loops read, so that they are not read from a copy of
// the whole buffer (tape/snapshot.rs) instead.
// Oracles: central finite differences of each primal, and forward mode against reverse mode.
// RUN: clang
#include "check.h"
#include <math.h>
#include <stdlib.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { N = 12, IT = 4 };

static void apply(const double *restrict c, const double *restrict p, double *restrict q, long n) {
  for (long k = 0; k < n; k++) {
    double s = (2.5 + c[k] * c[k]) * p[k];
    if (k > 0)
      s -= p[k - 1];
    if (k < n - 1)
      s -= p[k + 1];
    q[k] = s;
  }
}

__attribute__((noinline)) double cg(const double *restrict b, const double *restrict c, long n) {
  double *x = calloc(n, sizeof(double)), *r = malloc(n * sizeof(double)), *p = malloc((n + 1) * sizeof(double)),
         *q = malloc((n + 1) * sizeof(double));
  double rr = 0;
  for (long k = 0; k < n; k++) {
    r[k] = b[k];
    p[k] = b[k];
    rr += b[k] * b[k];
  }
  for (int it = 0; it < IT; it++) {
    apply(c, p, q, n);
    double pq = 0;
    for (long k = 0; k < n; k++)
      pq += p[k] * q[k];
    double a = rr / pq, rrn = 0;
    for (long k = 0; k < n; k++) {
      x[k] += a * p[k] * p[k];
      r[k] -= a * q[k] * q[k];
      rrn += r[k] * r[k];
    }
    double beta = rrn / rr;
    for (long k = 0; k < n; k++)
      p[k] = r[k] + beta * p[k] * p[k];
    rr = rrn;
  }
  double f = 0;
  for (long k = 0; k < n; k++)
    f += (x[k] - 0.1 * k) * (x[k] - 0.1 * k) + p[k] * r[k];
  free(x);
  free(r);
  free(p);
  free(q);
  return f;
}

/* The three functions below share one shape: in each outer step, loop A reads p[k] (p.p), loop
 * B reads p[k] again; what happens in between or inside B differs. */
__attribute__((noinline)) double between(const double *restrict b, const double *restrict c, long n) {
  double *p = malloc((n + 1) * sizeof(double));
  for (long k = 0; k < n; k++)
    p[k] = b[k];
  double f = 0;
  for (int it = 0; it < IT; it++) {
    double s = 0;
    for (long k = 0; k < n; k++)
      s += p[k] * p[k] * c[k];
    for (long k = 0; k < n; k++)
      p[k] = sin(p[k]);
    for (long k = 0; k < n; k++)
      f += s * p[k] * p[k] * p[k];
    for (long k = 0; k < n; k++)
      p[k] = 0.9 * p[k] + 0.05 * c[k];
  }
  free(p);
  return f;
}

__attribute__((noinline)) double neighbour(const double *restrict b, const double *restrict c, long n) {
  double *p = malloc((n + 1) * sizeof(double));
  for (long k = 0; k < n; k++)
    p[k] = b[k];
  p[n] = 0.5;
  double f = 0;
  for (int it = 0; it < IT; it++) {
    double s = 0;
    for (long k = 0; k < n; k++)
      s += p[k] * p[k] * c[k];
    for (long k = 0; k < n; k++) {
      double v = p[k];
      f += s * v * v * v;
      p[k + 1] = 0.5 * p[k + 1] + 0.3 * v * v;
    }
  }
  free(p);
  return f;
}

__attribute__((noinline)) double offset(const double *restrict b, const double *restrict c, long n) {
  double *p = malloc((n + 1) * sizeof(double));
  for (long k = 0; k < n; k++)
    p[k] = b[k];
  double f = 0;
  for (int it = 0; it < IT; it++) {
    double s = 0;
    for (long k = 0; k < n; k++)
      s += p[k] * p[k] * c[k];
    for (long k = 1; k < n; k++)
      f += s * p[k] * p[k] * p[k - 1];
    for (long k = 0; k < n; k++)
      p[k] = 0.8 * p[k] + 0.1 * c[k] * p[k] * p[k];
  }
  free(p);
  return f;
}

__attribute__((noinline)) double before(const double *restrict b, const double *restrict c, long n) {
  double *p = malloc((n + 1) * sizeof(double));
  for (long k = 0; k < n; k++)
    p[k] = b[k];
  double f = 0;
  for (int it = 0; it < IT; it++) {
    double s = 0;
    for (long k = 0; k < n; k++)
      s += p[k] * p[k] * c[k];
    for (long k = 0; k < n; k++) {
      p[k] = cos(c[k] * p[k]);
      f += s * p[k] * p[k] * c[k];
    }
  }
  free(p);
  return f;
}

__attribute__((noinline)) double partial(const double *restrict b, const double *restrict c, long n) {
  double *p = malloc((n + 1) * sizeof(double));
  for (long k = 0; k < n; k++)
    p[k] = b[k];
  double f = 0;
  for (int it = 0; it < IT; it++) {
    double s = 0;
    for (long k = 0; k < n; k++)
      if (k & 1)
        s += sin(p[k] * c[k]);
    for (long k = 0; k < n; k++)
      f += s * p[k] * p[k] * p[k];
    for (long k = 0; k < n; k++)
      p[k] = 0.7 * p[k] + 0.2 * c[k] * p[k] * p[k];
  }
  free(p);
  return f;
}

typedef double (*fn_t)(const double *, const double *, long);

static double B[N], C[N], vB[N], vC[N];

static void check_fn(const char *name, fn_t f) {
  double dB[N] = {0}, dC[N] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, B, dB, enzyme_dup, C, dC, enzyme_const, (long)N);
  CHECK_ARRAY_FD(name, B, N, dB, 1e-6, f(B, C, N), RTOL_FD, 1e-7);
  CHECK_ARRAY_FD(name, C, N, dC, 1e-6, f(B, C, N), RTOL_FD, 1e-7);
  double tangent = __enzyme_fwddiff((void *)f, enzyme_dup, B, vB, enzyme_dup, C, vC, enzyme_const, (long)N);
  double dot = dotv(dB, vB, N) + dotv(dC, vC, N);
  CHECK_CLOSE(name, tangent, dot, 1e-9, 1e-11);
}

int main(void) {
  for (int i = 0; i < N; i++) {
    B[i] = 0.6 + 0.3 * sin(1.0 + 0.7 * i);
    C[i] = 0.8 + 0.2 * cos(0.4 * i);
    vB[i] = cos(0.7 * i + 0.3);
    vC[i] = sin(1.3 * i + 0.4);
  }
  check_fn("cg", cg);
  check_fn("between", between);
  check_fn("neighbour", neighbour);
  check_fn("offset", offset);
  check_fn("before", before);
  check_fn("partial", partial);
  return check_report();
}
