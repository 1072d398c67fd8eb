// Neighbour accumulations (`dy[i-1], dy[i], dy[i+1] += ...`) in a reverse loop whose arrays are
// plain (not restrict) parameters: alias analysis cannot tell the shadow of `y` from the shadow
// of `out` the loop reads and clears, so the loop is versioned on a run-time test of the two
// address ranges and rotated where they are disjoint (shim `ferment_rotate_accumulations`), the
// unrotated loop running otherwise. Each layout is checked against central finite differences
// over the whole buffer and the coefficient:
//   apart      two separate buffers (the rotated loop runs),
//   halves     y and out halves of one buffer (disjoint: rotated, though one object),
//   shifted    out = y + 1 and out = y - 1 inside one buffer: the ranges meet, the loop as it
//              was runs (the primal is sequential code over overlapping arrays, and so is its
//              derivative),
//   short      n = 1 and n = 2: every boundary select takes the element itself.
// RUN: clang opt
#include "check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);

#define N 13
#define STEPS 3

__attribute__((noinline)) static void rhs(long n, const double *y, double *out, double d) {
  for (long i = 0; i < n; i++) {
    double l = i > 0 ? y[i - 1] : y[i];
    double r = i < n - 1 ? y[i + 1] : y[i];
    out[i] = d * (l - 2 * y[i] + r) + 0.3 * sin(y[i]);
  }
}

/* `a` and `b` may alias: the step runs out = F(a), a = F(out) twice per step */
__attribute__((noinline)) double flow(long n, long steps, double *a, double *b, const double *c) {
  double d = c[0];
  for (long s = 0; s < steps; s++) {
    rhs(n, a, b, d);
    rhs(n, b, a, 0.5 * d);
  }
  double f = 0;
  for (long i = 0; i < n; i++) f += a[i] * a[i] * (1 + 0.1 * (double)i);
  return f;
}

static double BUF[3 * N], DBUF[3 * N], C[1], DC[1];

static double primal_at(long n, long off_a, long off_b) {
  double save[3 * N];
  memcpy(save, BUF, sizeof save);
  double f = flow(n, STEPS, BUF + off_a, BUF + off_b, C);
  memcpy(BUF, save, sizeof save);
  return f;
}

/* the gradient over every element of BUF and over c */
static void check_layout(const char *what, long n, long off_a, long off_b) {
  double save[3 * N];
  memcpy(save, BUF, sizeof save);
  memset(DBUF, 0, sizeof DBUF);
  DC[0] = 0;
  __enzyme_autodiff((void *)flow, enzyme_const, n, enzyme_const, (long)STEPS, enzyme_dup, BUF + off_a,
                    DBUF + off_a, enzyme_dup, BUF + off_b, DBUF + off_b, enzyme_dup, C, DC);
  memcpy(BUF, save, sizeof save);
  const double h = 1e-6;
  for (long k = 0; k < 3 * N; k++) {
    double s = BUF[k];
    BUF[k] = s + h;
    double fp = primal_at(n, off_a, off_b);
    BUF[k] = s - h;
    double fm = primal_at(n, off_a, off_b);
    BUF[k] = s;
    CHECK_CLOSE(what, DBUF[k], (fp - fm) / (2 * h), 1e-6, 1e-8);
  }
  double s = C[0];
  C[0] = s + h;
  double fp = primal_at(n, off_a, off_b);
  C[0] = s - h;
  double fm = primal_at(n, off_a, off_b);
  C[0] = s;
  CHECK_CLOSE(what, DC[0], (fp - fm) / (2 * h), 1e-6, 1e-8);
}

/* two separate buffers */
static double A2[N], B2[N], DA2[N], DB2[N];

static double primal_apart(void) {
  double a[N], b[N];
  memcpy(a, A2, sizeof a);
  memcpy(b, B2, sizeof b);
  return flow(N, STEPS, a, b, C);
}

int main(void) {
  for (long i = 0; i < 3 * N; i++) BUF[i] = 0.2 + 0.6 * (double)((i * 5) % 7) / 7.0;
  for (long i = 0; i < N; i++) {
    A2[i] = 0.1 + 0.05 * (double)((i * 3) % 5);
    B2[i] = 0.7 - 0.02 * (double)i;
  }
  C[0] = 0.35;
  {
    double a[N], b[N];
    memcpy(a, A2, sizeof a);
    memcpy(b, B2, sizeof b);
    memset(DA2, 0, sizeof DA2);
    memset(DB2, 0, sizeof DB2);
    DC[0] = 0;
    __enzyme_autodiff((void *)flow, enzyme_const, (long)N, enzyme_const, (long)STEPS, enzyme_dup, a, DA2,
                      enzyme_dup, b, DB2, enzyme_dup, C, DC);
    const double h = 1e-6;
    for (long k = 0; k < N; k++) {
      double s = A2[k];
      A2[k] = s + h;
      double fp = primal_apart();
      A2[k] = s - h;
      double fm = primal_apart();
      A2[k] = s;
      CHECK_CLOSE("apart: d/da vs central differences", DA2[k], (fp - fm) / (2 * h), 1e-6, 1e-8);
      /* b is overwritten before it is read: no derivative */
      CHECK_CLOSE("apart: d/db is zero", DB2[k], 0.0, 0, 0);
    }
    double s = C[0];
    C[0] = s + h;
    double fp = primal_apart();
    C[0] = s - h;
    double fm = primal_apart();
    C[0] = s;
    CHECK_CLOSE("apart: d/dc vs central differences", DC[0], (fp - fm) / (2 * h), 1e-6, 1e-8);
  }
  check_layout("halves vs central differences", N, 0, N);
  check_layout("halves, b below a, vs central differences", N, N, 0);
  check_layout("shifted out = y + 1 vs central differences", N, 1, 2);
  check_layout("shifted out = y - 1 vs central differences", N, 2, 1);
  check_layout("shifted out = y + 5 vs central differences", N, 0, 5);
  check_layout("same array vs central differences", N, 3, 3);
  check_layout("short (n = 2) vs central differences", 2, 0, N);
  check_layout("short (n = 1) vs central differences", 1, 0, N);
  return check_report();
}
