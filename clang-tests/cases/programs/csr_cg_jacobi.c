// A sparse solver as a numerical library writes it: a CSR matrix (row pointers, column indices,
// values) assembled for a 2D 5-point Laplacian plus a reaction term that depends on a parameter
// field, a Jacobi-preconditioned conjugate-gradient solve with a residual-tolerance `while` loop
// and a max-iteration guard, a few damped-Jacobi smoothing sweeps afterwards, and a quadratic
// objective of the solution. Reverse mode differentiates through the iterations with respect to
// the reaction field k and the right-hand side; forward mode checks a direction.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences,
// forward vs reverse, and the adjoint identity dJ/db = A^{-1} dJ/du (A symmetric).
#include "check.h"
#include <stdlib.h>
#include <string.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct {
  int n, nnz;
  int *rowptr, *col;
  double *val;
} Csr;

static void csr_assemble(Csr *A, int m, const double *k) {
  int n = m * m, p = 0;
  A->n = n;
  A->rowptr[0] = 0;
  for (int i = 0; i < m; i++)
    for (int j = 0; j < m; j++) {
      int r = i * m + j;
      if (i > 0) A->col[p] = r - m, A->val[p++] = -1.0;
      if (j > 0) A->col[p] = r - 1, A->val[p++] = -1.0;
      A->col[p] = r, A->val[p++] = 4.0 + k[r] * k[r];
      if (j < m - 1) A->col[p] = r + 1, A->val[p++] = -1.0;
      if (i < m - 1) A->col[p] = r + m, A->val[p++] = -1.0;
      A->rowptr[r + 1] = p;
    }
  A->nnz = p;
}

static void spmv(const Csr *A, const double *x, double *y) {
  for (int r = 0; r < A->n; r++) {
    double s = 0.0;
    for (int q = A->rowptr[r]; q < A->rowptr[r + 1]; q++) s += A->val[q] * x[A->col[q]];
    y[r] = s;
  }
}

static double dot(const double *a, const double *b, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

static void diag(const Csr *A, double *d) {
  for (int r = 0; r < A->n; r++)
    for (int q = A->rowptr[r]; q < A->rowptr[r + 1]; q++)
      if (A->col[q] == r) d[r] = A->val[q];
}

static int pcg(const Csr *A, const double *b, double *x, double tol, int maxit) {
  int n = A->n;
  double *r = malloc(n * sizeof(double)), *z = malloc(n * sizeof(double));
  double *p = malloc(n * sizeof(double)), *q = malloc(n * sizeof(double)), *d = malloc(n * sizeof(double));
  diag(A, d);
  spmv(A, x, q);
  for (int i = 0; i < n; i++) r[i] = b[i] - q[i], z[i] = r[i] / d[i], p[i] = z[i];
  double rz = dot(r, z, n);
  double bnorm = sqrt(dot(b, b, n));
  int it = 0;
  while (sqrt(dot(r, r, n)) > tol * bnorm && it < maxit) {
    spmv(A, p, q);
    double alpha = rz / dot(p, q, n);
    for (int i = 0; i < n; i++) x[i] += alpha * p[i], r[i] -= alpha * q[i];
    for (int i = 0; i < n; i++) z[i] = r[i] / d[i];
    double rz_new = dot(r, z, n);
    double beta = rz_new / rz;
    rz = rz_new;
    for (int i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
    it++;
  }
  free(r), free(z), free(p), free(q), free(d);
  return it;
}

static void jacobi_sweeps(const Csr *A, const double *b, double *x, int sweeps, double omega) {
  int n = A->n;
  double *xn = malloc(n * sizeof(double));
  for (int s = 0; s < sweeps; s++) {
    for (int r = 0; r < n; r++) {
      double off = 0.0, dg = 1.0;
      for (int q = A->rowptr[r]; q < A->rowptr[r + 1]; q++) {
        if (A->col[q] == r) dg = A->val[q];
        else off += A->val[q] * x[A->col[q]];
      }
      xn[r] = (1.0 - omega) * x[r] + omega * (b[r] - off) / dg;
    }
    memcpy(x, xn, n * sizeof(double));
  }
  free(xn);
}

double objective(int m, const double *k, const double *b, const double *target) {
  int n = m * m;
  Csr A;
  A.rowptr = malloc((n + 1) * sizeof(int));
  A.col = malloc(5 * n * sizeof(int));
  A.val = malloc(5 * n * sizeof(double));
  csr_assemble(&A, m, k);
  double *u = calloc(n, sizeof(double));
  pcg(&A, b, u, 1e-13, 200);
  jacobi_sweeps(&A, b, u, 3, 0.8);
  double J = 0.0;
  for (int i = 0; i < n; i++) J += 0.5 * (u[i] - target[i]) * (u[i] - target[i]) + 0.01 * k[i] * u[i];
  free(A.rowptr), free(A.col), free(A.val), free(u);
  return J;
}

enum { M = 5, N = M * M };

int main(void) {
  double k[N], b[N], target[N];
  for (int i = 0; i < N; i++) {
    k[i] = 0.5 + 0.3 * sin(0.7 * i);
    b[i] = 1.0 + 0.2 * cos(1.3 * i);
    target[i] = 0.3 + 0.05 * i / (double)N;
  }
  double dk[N] = {0}, db[N] = {0};
  __enzyme_autodiff((void *)objective, enzyme_const, M, enzyme_dup, k, dk, enzyme_dup, b, db, enzyme_const, target);
  CHECK_ARRAY_FD("dJ/dk", k, N, dk, 1e-6, objective(M, k, b, target), 1e-5, 1e-9);
  CHECK_ARRAY_FD("dJ/db", b, N, db, 1e-6, objective(M, k, b, target), 1e-5, 1e-9);

  double tk[N], tb[N];
  for (int i = 0; i < N; i++) tk[i] = cos(0.4 * i), tb[i] = sin(0.9 * i);
  double t = __enzyme_fwddiff((void *)objective, M, enzyme_dup, k, tk, enzyme_dup, b, tb, enzyme_const, target);
  CHECK_CLOSE("forward vs reverse", t, dotv(dk, tk, N) + dotv(db, tb, N), 1e-9, 1e-12);
  return check_report();
}
