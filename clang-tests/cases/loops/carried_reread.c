// Values a rotated loop carries to its next iteration, rebuilt instead of taped: after loop
// rotation `p0 = rowptr[i]` is the previous iteration's `rowptr[i + 1]` (a header phi), and
// x[i] is the previous iteration's x[i + 1]. When that memory is never written, the reverse
// sweep reads rowptr[i] (x[i]) again on iterations after the first and takes the phi's
// incoming value on the first. These functions need the carried value in their derivatives:
//   csr_sweep   K sweeps of a CSR product into a scratch vector that is copied back (the row
//               bounds come from the carried phi, the inner trip count varies per row),
//   neighbours  sum of sin(x[i]) * x[i+1] * w[i] (a carried float),
//   offset_ptr  the carried bound starts from a value that is not rowptr[0] (rows from r0),
//   written     the same neighbour sum over an array the function overwrites as it goes (no
//               re-read allowed: the carried value must come from the tape).
// Oracles: hand-written adjoints and central finite differences.
// RUN: clang opt
#include "check.h"
#include <stdlib.h>

void __enzyme_autodiff(void *, ...);

#define NR 40
#define NNZMAX (NR * 3)

__attribute__((noinline)) double csr_sweep(long n, long iters, const int *restrict rowptr,
                                           const int *restrict col, const double *restrict v,
                                           const double *restrict b) {
  double *x = malloc(sizeof(double) * n), *xn = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++)
    x[i] = b[i];
  for (long k = 0; k < iters; k++) {
    for (long i = 0; i < n; i++) {
      int p0 = rowptr[i], p1 = rowptr[i + 1];
      double s = b[i];
      for (int p = p0 + 1; p < p1; p++)
        s -= v[p] * x[col[p]];
      xn[i] = s / v[p0];
    }
    for (long i = 0; i < n; i++)
      x[i] = xn[i];
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * x[i];
  free(x);
  free(xn);
  return 0.5 * f;
}

/* forward keeps every iterate; reverse with t_i = xbar_{k+1}[i] / d_i */
static void csr_sweep_adjoint(long n, long iters, const int *rowptr, const int *col, const double *v,
                              const double *b, double *vb, double *bb) {
  double *xs = malloc(sizeof(double) * n * (iters + 1));
  double *xb = malloc(sizeof(double) * n), *xbn = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++)
    xs[i] = b[i];
  for (long k = 0; k < iters; k++)
    for (long i = 0; i < n; i++) {
      double s = b[i];
      for (int p = rowptr[i] + 1; p < rowptr[i + 1]; p++)
        s -= v[p] * xs[k * n + col[p]];
      xs[(k + 1) * n + i] = s / v[rowptr[i]];
    }
  for (long i = 0; i < n; i++)
    xb[i] = xs[iters * n + i];
  for (long k = iters - 1; k >= 0; k--) {
    for (long i = 0; i < n; i++)
      xbn[i] = 0;
    for (long i = 0; i < n; i++) {
      int p0 = rowptr[i];
      double t = xb[i] / v[p0];
      bb[i] += t;
      vb[p0] -= t * xs[(k + 1) * n + i];
      for (int p = p0 + 1; p < rowptr[i + 1]; p++) {
        vb[p] -= t * xs[k * n + col[p]];
        xbn[col[p]] -= t * v[p];
      }
    }
    double *tmp = xb;
    xb = xbn;
    xbn = tmp;
  }
  for (long i = 0; i < n; i++)
    bb[i] += xb[i]; /* x_0 = b */
  free(xs);
  free(xb);
  free(xbn);
}

__attribute__((noinline)) double neighbours(long n, const double *restrict x, const double *restrict w) {
  double s = 0;
  for (long i = 0; i + 1 < n; i++)
    s += sin(x[i]) * x[i + 1] * w[i];
  return s;
}

/* rows r0 .. r0+m-1 only: the carried bound starts at rowptr[r0] */
__attribute__((noinline)) double offset_ptr(long r0, long m, const int *restrict rowptr,
                                            const double *restrict v) {
  double s = 0;
  for (long i = r0; i < r0 + m; i++) {
    int p0 = rowptr[i], p1 = rowptr[i + 1];
    double r = 1.0;
    for (int p = p0; p < p1; p++)
      r = r * 0.5 + v[p] * v[p];
    s += r * (double)(p1 - p0);
  }
  return s;
}

/* x is overwritten as the loop goes: the carried x[i] cannot be read again */
__attribute__((noinline)) double written(long n, double *restrict x, const double *restrict w) {
  double s = 0;
  for (long i = 0; i + 1 < n; i++) {
    s += sin(x[i]) * x[i + 1] * w[i];
    x[i] = 0.5 * x[i] + 0.25;
  }
  return s;
}

static int ROWPTR[NR + 1], COL[NNZMAX];
static double V[NNZMAX], B[NR], VB[NNZMAX], BB[NR], HV[NNZMAX], HB[NR];
static long NNZ;

static void make_matrix(void) {
  int p = 0;
  for (int i = 0; i < NR; i++) {
    ROWPTR[i] = p;
    COL[p] = i;
    V[p++] = 4.0 + 0.1 * (i % 7); /* diagonal first */
    int extra = i % 3;            /* 0..2 off-diagonals: the inner trip count varies, even 0 */
    for (int e = 1; e <= extra; e++) {
      COL[p] = (i + 5 * e) % NR;
      V[p++] = -0.3 - 0.05 * ((i + e) % 5);
    }
  }
  ROWPTR[NR] = p;
  NNZ = p;
  for (int i = 0; i < NR; i++)
    B[i] = 0.5 + 0.03 * (i % 11);
}

static void check_csr(long iters) {
  for (long i = 0; i < NNZ; i++)
    VB[i] = HV[i] = 0;
  for (int i = 0; i < NR; i++)
    BB[i] = HB[i] = 0;
  __enzyme_autodiff((void *)csr_sweep, enzyme_const, (long)NR, enzyme_const, iters, enzyme_const, ROWPTR,
                    enzyme_const, COL, enzyme_dup, V, VB, enzyme_dup, B, BB);
  csr_sweep_adjoint(NR, iters, ROWPTR, COL, V, B, HV, HB);
  for (long i = 0; i < NNZ; i++)
    CHECK_CLOSE("csr_sweep dv vs hand-written", VB[i], HV[i], 1e-11, 1e-13);
  for (int i = 0; i < NR; i++)
    CHECK_CLOSE("csr_sweep db vs hand-written", BB[i], HB[i], 1e-11, 1e-13);
  for (int t = 0; t < 5; t++) {
    long q = (t * 37 + 3) % NNZ;
    double h = 1e-6, vq = V[q];
    V[q] = vq + h;
    double fp = csr_sweep(NR, iters, ROWPTR, COL, V, B);
    V[q] = vq - h;
    double fm = csr_sweep(NR, iters, ROWPTR, COL, V, B);
    V[q] = vq;
    CHECK_CLOSE("csr_sweep dv vs central differences", VB[q], (fp - fm) / (2 * h), 1e-6, 1e-8);
  }
}

static void check_neighbours(void) {
  enum { N = 37 };
  double x[N], w[N], dx[N] = {0}, h[N] = {0};
  for (int i = 0; i < N; i++) {
    x[i] = 0.3 + 0.05 * i;
    w[i] = 1.0 - 0.02 * i;
  }
  __enzyme_autodiff((void *)neighbours, enzyme_const, (long)N, enzyme_dup, x, dx, enzyme_const, w);
  for (int i = 0; i + 1 < N; i++) {
    h[i] += cos(x[i]) * x[i + 1] * w[i];
    h[i + 1] += sin(x[i]) * w[i];
  }
  for (int i = 0; i < N; i++)
    CHECK_CLOSE("neighbours dx vs analytic", dx[i], h[i], 1e-13, 1e-14);
}

static void check_offset(long r0, long m) {
  double dv[NNZMAX] = {0};
  __enzyme_autodiff((void *)offset_ptr, enzyme_const, r0, enzyme_const, m, enzyme_const, ROWPTR, enzyme_dup,
                    V, dv);
  for (long q = 0; q < NNZ; q++) {
    double hh = 1e-6, vq = V[q];
    V[q] = vq + hh;
    double fp = offset_ptr(r0, m, ROWPTR, V);
    V[q] = vq - hh;
    double fm = offset_ptr(r0, m, ROWPTR, V);
    V[q] = vq;
    CHECK_CLOSE("offset_ptr dv vs central differences", dv[q], (fp - fm) / (2 * hh), 1e-6, 1e-8);
  }
}

static void check_written(void) {
  enum { N = 29 };
  double x[N], x0[N], w[N], dx[N] = {0};
  for (int i = 0; i < N; i++) {
    x0[i] = x[i] = 0.2 + 0.07 * i;
    w[i] = 0.5 + 0.01 * i;
  }
  __enzyme_autodiff((void *)written, enzyme_const, (long)N, enzyme_dup, x, dx, enzyme_const, w);
  /* x[i] is read (as x[i] and as x[i+1] one step earlier) before it is overwritten:
     s = sum sin(x0[i]) x0[i+1] w[i], and the overwritten values are not used */
  for (int i = 0; i < N; i++) {
    double h = 0;
    if (i + 1 < N)
      h += cos(x0[i]) * x0[i + 1] * w[i];
    if (i > 0)
      h += sin(x0[i - 1]) * w[i - 1];
    /* the write x[i] = 0.5 x[i] + 0.25 makes the shadow of x[i] start from 0.5 * (seed 0) */
    CHECK_CLOSE("written dx vs analytic", dx[i], h, 1e-13, 1e-14);
  }
}

int main(void) {
  make_matrix();
  check_csr(1);
  check_csr(6);
  check_neighbours();
  check_offset(0, NR);
  check_offset(7, 20);
  check_offset(13, 1);
  check_written();
  return check_report();
}
