/* cholesky: A = L L^T (Cholesky, reading the lower triangle of a dense SPD n x n matrix), then
 * L y = b, L^T x = y, f = 0.5 |x|^2. Params: A (n*n, row-major; only i >= j is read) then b.
 * Size: n. Hand adjoint: lam = A^{-1} x (two more triangular solves with L); bbar = lam,
 * Abar_ij = -(lam_i x_j + lam_j x_i) below the diagonal, Abar_ii = -lam_i x_i. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "cholesky";
static long N;
static double *X;

static void chol(long n, const double *a, double *l) {
    for (long j = 0; j < n; j++) {
        double s = a[j * n + j];
        for (long k = 0; k < j; k++) s -= l[j * n + k] * l[j * n + k];
        double d = sqrt(s);
        l[j * n + j] = d;
        for (long i = j + 1; i < n; i++) {
            double t = a[i * n + j];
            for (long k = 0; k < j; k++) t -= l[i * n + k] * l[j * n + k];
            l[i * n + j] = t / d;
        }
    }
}

__attribute__((noinline)) double chol_solve(long n, const double *restrict a, const double *restrict b) {
    double *l = malloc(sizeof(double) * n * n), *y = malloc(sizeof(double) * n), *x = malloc(sizeof(double) * n);
    chol(n, a, l);
    for (long i = 0; i < n; i++) {
        double s = b[i];
        for (long k = 0; k < i; k++) s -= l[i * n + k] * y[k];
        y[i] = s / l[i * n + i];
    }
    for (long i = n - 1; i >= 0; i--) {
        double s = y[i];
        for (long k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
        x[i] = s / l[i * n + i];
    }
    double f = 0;
    for (long i = 0; i < n; i++) f += x[i] * x[i];
    free(l);
    free(y);
    free(x);
    return 0.5 * f;
}

/* z = (L L^T)^{-1} r, using t as scratch */
static void llt_solve(long n, const double *l, const double *r, double *t, double *z) {
    for (long i = 0; i < n; i++) {
        double s = r[i];
        for (long k = 0; k < i; k++) s -= l[i * n + k] * t[k];
        t[i] = s / l[i * n + i];
    }
    for (long i = n - 1; i >= 0; i--) {
        double s = t[i];
        for (long k = i + 1; k < n; k++) s -= l[k * n + i] * z[k];
        z[i] = s / l[i * n + i];
    }
}

__attribute__((noinline)) void chol_solve_hand(long n, const double *restrict a, const double *restrict b,
                                               double *restrict ab, double *restrict bb) {
    double *l = malloc(sizeof(double) * n * n), *t = malloc(sizeof(double) * n), *x = malloc(sizeof(double) * n),
           *lam = malloc(sizeof(double) * n);
    chol(n, a, l);
    llt_solve(n, l, b, t, x);
    llt_solve(n, l, x, t, lam);
    for (long i = 0; i < n; i++) {
        bb[i] += lam[i];
        for (long j = 0; j < i; j++) ab[i * n + j] -= lam[i] * x[j] + lam[j] * x[i];
        ab[i * n + i] -= lam[i] * x[i];
    }
    free(l); free(t); free(x); free(lam);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 300;
    X = bench_xmalloc(sizeof(double) * (N * N + N));
    bench_fill(X, N * N, 71, -1, 1);
    for (long i = 0; i < N; i++) X[i * N + i] = N + 1 + bench_urand(72, i);
    bench_fill(X + N * N, N, 73, -1, 1);
    info->nparams = N * N + N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld", N);
    info->size_metric = (double)N;
    info->fd_step = 1e-5;
    return 0;
}
double bench_primal(void) { return chol_solve(N, X, X + N * N); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (N * N + N));
    __enzyme_autodiff((void *)chol_solve, enzyme_const, N, enzyme_dup, X, g, enzyme_dup, X + N * N, g + N * N);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (N * N + N));
    chol_solve_hand(N, X, X + N * N, g, g + N * N);
}
