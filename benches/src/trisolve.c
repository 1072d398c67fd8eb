/*
 * trisolve — the two triangular solves of a Cholesky-factored system: L y = b by forward
 * substitution, then L^T x = y by back substitution (L^T read by columns), f = 0.5 |x|^2.
 * L is dense n x n lower triangular, stored whole (the upper part is not read: its gradient is 0):
 * off-diagonals (u - 0.5)/n, diagonal 1 + u, u uniform in [0, 1). b uniform in [-1, 1].
 * Parameters: L (n*n) then b (n). Size argument: n.
 * What it shows: loads of elements the same loop stored in earlier iterations (y[j], j < i;
 * x[j], j > i with i counting down), which nothing writes afterwards.
 * Hand-written adjoint: lam = L^{-1} x (forward substitution), mu = L^{-T} lam (back
 * substitution); bbar = mu, Lbar_ij = -(x_i lam_j + mu_i y_j) for i >= j: four solves and one
 * rank-2 update of the lower triangle, O(n) scratch.
 */
#include "bench.h"
#include <ferment.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "trisolve";
static long N;
static double *X;

__attribute__((noinline)) double trisolve(long n, const double *restrict L, const double *restrict b) {
    double *y = malloc(sizeof(double) * n), *x = malloc(sizeof(double) * n);
    for (long i = 0; i < n; i++) {
        double s = b[i];
        for (long j = 0; j < i; j++) s -= L[i * n + j] * y[j];
        y[i] = s / L[i * n + i];
    }
    for (long i = n - 1; i >= 0; i--) {
        double s = y[i];
        for (long j = i + 1; j < n; j++) s -= L[j * n + i] * x[j];
        x[i] = s / L[i * n + i];
    }
    double f = 0;
    for (long i = 0; i < n; i++) f += x[i] * x[i];
    free(y);
    free(x);
    return 0.5 * f;
}

__attribute__((noinline)) void trisolve_hand(long n, const double *restrict L, const double *restrict b,
                                             double *restrict Lb, double *restrict bb) {
    double *y = malloc(sizeof(double) * n), *x = malloc(sizeof(double) * n);
    double *lam = malloc(sizeof(double) * n), *mu = malloc(sizeof(double) * n);
    for (long i = 0; i < n; i++) {
        double s = b[i];
        for (long j = 0; j < i; j++) s -= L[i * n + j] * y[j];
        y[i] = s / L[i * n + i];
    }
    for (long i = n - 1; i >= 0; i--) {
        double s = y[i];
        for (long j = i + 1; j < n; j++) s -= L[j * n + i] * x[j];
        x[i] = s / L[i * n + i];
    }
    for (long i = 0; i < n; i++) { /* L lam = x */
        double s = x[i];
        for (long j = 0; j < i; j++) s -= L[i * n + j] * lam[j];
        lam[i] = s / L[i * n + i];
    }
    for (long i = n - 1; i >= 0; i--) { /* L^T mu = lam */
        double s = lam[i];
        for (long j = i + 1; j < n; j++) s -= L[j * n + i] * mu[j];
        mu[i] = s / L[i * n + i];
    }
    for (long i = 0; i < n; i++) {
        bb[i] += mu[i];
        for (long j = 0; j <= i; j++) Lb[i * n + j] -= x[i] * lam[j] + mu[i] * y[j];
    }
    free(y);
    free(x);
    free(lam);
    free(mu);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 1000;
    X = bench_xmalloc(sizeof(double) * (N * N + N));
    for (long i = 0; i < N; i++)
        for (long j = 0; j < N; j++)
            X[i * N + j] = j < i ? (bench_urand(5, i * N + j) - 0.5) / N : j == i ? 1.0 + bench_urand(5, i * N + j) : 0;
    bench_fill(X + N * N, N, 6, -1, 1);
    info->nparams = N * N + N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld", N);
    info->size_metric = (double)N * N;
    return 0;
}
double bench_primal(void) { return trisolve(N, X, X + N * N); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (N * N + N));
    __enzyme_autodiff((void *)trisolve, enzyme_const, N, enzyme_dup, X, g, enzyme_dup, X + N * N, g + N * N);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (N * N + N));
    trisolve_hand(N, X, X + N * N, g, g + N * N);
}
