/* lu: LU factorization with partial pivoting (the pivot row chosen by the largest |a_ik| and the
 * rows swapped in place, in a scratch copy of A), then L y = P b, U x = y; f = 0.5 |x|^2.
 * Params: A (n*n, row-major) then b. Size: n.
 * Hand adjoint: lam = A^{-T} x (U^T z = x, L^T w = z, lam = P^T w); bbar = lam, Abar = -lam x^T. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "lu";
static long N;
static double *X;

/* factor a (n x n, overwritten by L\U, unit lower L), perm[i] = original row of row i */
static void lu_factor(long n, double *a, long *perm) {
    for (long i = 0; i < n; i++) perm[i] = i;
    for (long k = 0; k < n; k++) {
        long p = k;
        double best = fabs(a[k * n + k]);
        for (long i = k + 1; i < n; i++) {
            double v = fabs(a[i * n + k]);
            if (v > best) {
                best = v;
                p = i;
            }
        }
        if (p != k) {
            for (long j = 0; j < n; j++) {
                double t = a[k * n + j];
                a[k * n + j] = a[p * n + j];
                a[p * n + j] = t;
            }
            long t = perm[k];
            perm[k] = perm[p];
            perm[p] = t;
        }
        double inv = 1 / a[k * n + k];
        for (long i = k + 1; i < n; i++) {
            double m = a[i * n + k] * inv;
            a[i * n + k] = m;
            for (long j = k + 1; j < n; j++) a[i * n + j] -= m * a[k * n + j];
        }
    }
}

/* x = A^{-1} b from the factors: L y = P b (forward), U x = y (backward), in x */
static void lu_apply(long n, const double *a, const long *perm, const double *b, double *x) {
    for (long i = 0; i < n; i++) {
        double s = b[perm[i]];
        for (long k = 0; k < i; k++) s -= a[i * n + k] * x[k];
        x[i] = s;
    }
    for (long i = n - 1; i >= 0; i--) {
        double s = x[i];
        for (long k = i + 1; k < n; k++) s -= a[i * n + k] * x[k];
        x[i] = s / a[i * n + i];
    }
}

__attribute__((noinline)) double lu_solve(long n, const double *restrict a0, const double *restrict b) {
    double *a = malloc(sizeof(double) * n * n), *x = malloc(sizeof(double) * n);
    long *perm = malloc(sizeof(long) * n);
    memcpy(a, a0, sizeof(double) * n * n);
    lu_factor(n, a, perm);
    lu_apply(n, a, perm, b, x);
    double f = 0;
    for (long i = 0; i < n; i++) f += x[i] * x[i];
    free(a);
    free(x);
    free(perm);
    return 0.5 * f;
}

__attribute__((noinline)) void lu_solve_hand(long n, const double *restrict a0, const double *restrict b,
                                             double *restrict ab, double *restrict bb) {
    double *a = malloc(sizeof(double) * n * n), *x = malloc(sizeof(double) * n), *z = malloc(sizeof(double) * n);
    long *perm = malloc(sizeof(long) * n);
    memcpy(a, a0, sizeof(double) * n * n);
    lu_factor(n, a, perm);
    lu_apply(n, a, perm, b, x);
    /* U^T z = x (forward), then L^T w = z (backward, in place) */
    for (long i = 0; i < n; i++) {
        double s = x[i];
        for (long k = 0; k < i; k++) s -= a[k * n + i] * z[k];
        z[i] = s / a[i * n + i];
    }
    for (long i = n - 1; i >= 0; i--) {
        double s = z[i];
        for (long k = i + 1; k < n; k++) s -= a[k * n + i] * z[k];
        z[i] = s;
    }
    for (long i = 0; i < n; i++) {
        double l = z[i];
        long r = perm[i];
        bb[r] += l;
        for (long j = 0; j < n; j++) ab[r * n + j] -= l * x[j];
    }
    free(a); free(x); free(z); free(perm);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 300;
    X = bench_xmalloc(sizeof(double) * (N * N + N));
    bench_fill(X, N * N, 151, -1, 1);
    for (long i = 0; i < N; i++) X[i * N + i] += 2.0;
    bench_fill(X + N * N, N, 152, -1, 1);
    info->nparams = N * N + N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld", N);
    info->size_metric = (double)N;
    info->fd_step = 1e-6;
    return 0;
}
double bench_primal(void) { return lu_solve(N, X, X + N * N); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (N * N + N));
    __enzyme_autodiff((void *)lu_solve, enzyme_const, N, enzyme_dup, X, g, enzyme_dup, X + N * N, g + N * N);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (N * N + N));
    lu_solve_hand(N, X, X + N * N, g, g + N * N);
}
