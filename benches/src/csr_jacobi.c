/*
 * csr_jacobi — K Jacobi iterations for A x = b with A sparse in CSR form, objective
 * 0.5 |x_K|^2 (issue 19: indirect indexing through integer arrays, an iterative solver).
 *   x_0 = 0,  x_{k+1}[i] = (b[i] - sum_{p off-diagonal in row i} v[p] x_k[col[p]]) / v[diag(i)]
 * A is the 5-point stencil pattern of an m x m grid (n = m^2 rows, ~5n nonzeros) with random
 * values: off-diagonals in [-1, 0), diagonal 4.5 + [0, 1) (diagonally dominant, so Jacobi
 * converges). Each row stores its diagonal first. The iterate is computed into a scratch
 * vector and copied back every iteration.
 * Parameters: the nonzero values v (nnz) then b (n). Size arguments: m K.
 * Hand-written adjoint: the forward sweep keeps every iterate (n (K+1) doubles); the reverse
 * sweep, with t_i = xbar_{k+1}[i] / d_i:  bbar_i += t_i,  vbar[diag(i)] -= t_i x_{k+1}[i],
 * and per off-diagonal p:  vbar_p -= t_i x_k[col p],  xbar_k[col p] -= t_i v_p.
 */
#include "bench.h"
#include <ferment.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bench_name = "csr_jacobi";

static long M, NR, NNZ, K;
static int *ROWPTR, *COL;
static double *X; /* v then b */

__attribute__((noinline)) double jacobi(long n, long iters, const int *restrict rowptr, const int *restrict col,
                                        const double *restrict v, const double *restrict b) {
    double *x = calloc(n, sizeof(double));
    double *xn = malloc(sizeof(double) * n);
    for (long k = 0; k < iters; k++) {
        for (long i = 0; i < n; i++) {
            int p0 = rowptr[i], p1 = rowptr[i + 1];
            double s = b[i];
            for (int p = p0 + 1; p < p1; p++) s -= v[p] * x[col[p]];
            xn[i] = s / v[p0];
        }
        for (long i = 0; i < n; i++) x[i] = xn[i];
    }
    double f = 0;
    for (long i = 0; i < n; i++) f += x[i] * x[i];
    free(x);
    free(xn);
    return 0.5 * f;
}

__attribute__((noinline)) void jacobi_grad_hand(long n, long iters, const int *restrict rowptr,
                                                const int *restrict col, const double *restrict v,
                                                const double *restrict b, double *restrict vb,
                                                double *restrict bb) {
    double *xs = calloc((size_t)n * (iters + 1), sizeof(double)); /* xs[k*n + i] = x_k[i] */
    double *xb = malloc(sizeof(double) * n), *xbn = malloc(sizeof(double) * n);
    for (long k = 0; k < iters; k++) {
        const double *x = xs + k * n;
        double *xn = xs + (k + 1) * n;
        for (long i = 0; i < n; i++) {
            int p0 = rowptr[i], p1 = rowptr[i + 1];
            double s = b[i];
            for (int p = p0 + 1; p < p1; p++) s -= v[p] * x[col[p]];
            xn[i] = s / v[p0];
        }
    }
    for (long i = 0; i < n; i++) xb[i] = xs[iters * n + i];
    for (long k = iters - 1; k >= 0; k--) {
        const double *x = xs + k * n, *xn = xs + (k + 1) * n;
        for (long i = 0; i < n; i++) xbn[i] = 0;
        for (long i = 0; i < n; i++) {
            int p0 = rowptr[i], p1 = rowptr[i + 1];
            double t = xb[i] / v[p0];
            bb[i] += t;
            vb[p0] -= t * xn[i];
            for (int p = p0 + 1; p < p1; p++) {
                vb[p] -= t * x[col[p]];
                xbn[col[p]] -= t * v[p];
            }
        }
        double *tmp = xb;
        xb = xbn;
        xbn = tmp;
    }
    free(xs);
    free(xb);
    free(xbn);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    M = nsizes > 0 ? sizes[0] : 100;
    K = nsizes > 1 ? sizes[1] : 20;
    if (M < 2 || K < 1) return 1;
    NR = M * M;
    ROWPTR = bench_xmalloc(sizeof(int) * (NR + 1));
    COL = bench_xmalloc(sizeof(int) * 5 * NR);
    long p = 0;
    for (long r = 0; r < M; r++)
        for (long c = 0; c < M; c++) {
            long i = r * M + c;
            ROWPTR[i] = (int)p;
            COL[p++] = (int)i; /* diagonal first */
            if (r > 0) COL[p++] = (int)(i - M);
            if (c > 0) COL[p++] = (int)(i - 1);
            if (c < M - 1) COL[p++] = (int)(i + 1);
            if (r < M - 1) COL[p++] = (int)(i + M);
        }
    ROWPTR[NR] = (int)p;
    NNZ = p;
    X = bench_xmalloc(sizeof(double) * (NNZ + NR));
    for (long i = 0; i < NR; i++)
        for (long q = ROWPTR[i]; q < ROWPTR[i + 1]; q++)
            X[q] = q == ROWPTR[i] ? 4.5 + bench_urand(41, q) : -bench_urand(41, q);
    bench_fill(X + NNZ, NR, 42, -1.0, 1.0);
    info->nparams = NNZ + NR;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "m=%ld (n=%ld, nnz=%ld) K=%ld", M, NR, NNZ, K);
    info->size_metric = (double)NNZ * (double)K;
    /* what the hand-written adjoint keeps: every iterate */
    info->min_tape_bytes = 8.0 * (double)NR * (double)(K + 1);
    /* f ~ 1e2 is smooth in v and linear in b: a larger step keeps rounding out of the FD check */
    info->fd_step = 1e-4;
    return 0;
}

double bench_primal(void) { return jacobi(NR, K, ROWPTR, COL, X, X + NNZ); }

void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (NNZ + NR));
    __enzyme_autodiff((void *)jacobi, enzyme_const, NR, enzyme_const, K, enzyme_const, ROWPTR, enzyme_const, COL,
                      enzyme_dup, X, g, enzyme_dup, X + NNZ, g + NNZ);
}

void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (NNZ + NR));
    jacobi_grad_hand(NR, K, ROWPTR, COL, X, X + NNZ, g, g + NNZ);
}
