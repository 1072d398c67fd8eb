/*
 * matvec — f(A, x) = sum_i w_i (A x)_i with y = A x computed into a scratch
 * vector first (issue 5: a matrix-vector product on flat arrays, n x n).
 * Parameters: A (n*n) then x (n). Size argument: n. The weights w are constant.
 * Hand-written adjoint: with dy_i = w_i, dA_ij = w_i x_j, dx_j = sum_i w_i A_ij.
 */
#include "bench.h"
#include <ferment.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bench_name = "matvec";

static long N;
static double *X, *W;

__attribute__((noinline)) double matvec(const double *restrict A, const double *restrict x, const double *restrict w,
                                        long n) {
    double *y = malloc(sizeof(double) * n);
    for (long i = 0; i < n; i++) {
        double s = 0;
        for (long j = 0; j < n; j++) s += A[i * n + j] * x[j];
        y[i] = s;
    }
    double f = 0;
    for (long i = 0; i < n; i++) f += w[i] * y[i];
    free(y);
    return f;
}

__attribute__((noinline)) void matvec_grad_hand(const double *restrict A, const double *restrict x,
                                                const double *restrict w, long n, double *restrict dA,
                                                double *restrict dx) {
    for (long i = 0; i < n; i++) {
        double wi = w[i];
        for (long j = 0; j < n; j++) {
            dA[i * n + j] += wi * x[j];
            dx[j] += wi * A[i * n + j];
        }
    }
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 1000;
    X = bench_xmalloc(sizeof(double) * (N * N + N));
    W = bench_xmalloc(sizeof(double) * N);
    bench_fill(X, N * N + N, 21, -1.0, 1.0);
    bench_fill(W, N, 22, 0.0, 1.0);
    info->nparams = N * N + N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld", N);
    info->size_metric = (double)N;
    return N > 0 ? 0 : 1;
}

double bench_primal(void) { return matvec(X, X + N * N, W, N); }

void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (N * N + N));
    __enzyme_autodiff((void *)matvec, enzyme_dup, X, g, enzyme_dup, X + N * N, g + N * N, enzyme_const, W,
                      enzyme_const, N);
}

void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (N * N + N));
    matvec_grad_hand(X, X + N * N, W, N, g, g + N * N);
}
