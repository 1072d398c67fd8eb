/* coo: y = A x with A in COO form (nnz entries in random order, rows and columns random), scattered
 * with +=, then f = 0.5 sum_r tanh(y_r)^2. Params: the values of A (nnz) then x (n). Sizes: n nnz.
 * Hand adjoint: yb_r = tanh(y_r)(1 - tanh(y_r)^2); valb_k = yb[row_k] x[col_k]; xb[col_k] += val_k yb[row_k]. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "coo";
static long N, NNZ;
static double *X;
static int *ROW, *COL;

__attribute__((noinline)) double coo(long n, long nnz, const int *restrict row, const int *restrict col,
                                     const double *restrict val, const double *restrict x) {
    double *y = calloc(n, sizeof(double));
    for (long k = 0; k < nnz; k++) y[row[k]] += val[k] * x[col[k]];
    double f = 0;
    for (long r = 0; r < n; r++) {
        double t = tanh(y[r]);
        f += t * t;
    }
    free(y);
    return 0.5 * f;
}

__attribute__((noinline)) void coo_hand(long n, long nnz, const int *restrict row, const int *restrict col,
                                        const double *restrict val, const double *restrict x, double *restrict vb,
                                        double *restrict xb) {
    double *y = calloc(n, sizeof(double));
    for (long k = 0; k < nnz; k++) y[row[k]] += val[k] * x[col[k]];
    for (long r = 0; r < n; r++) {
        double t = tanh(y[r]);
        y[r] = t * (1 - t * t);
    }
    for (long k = 0; k < nnz; k++) {
        vb[k] += y[row[k]] * x[col[k]];
        xb[col[k]] += val[k] * y[row[k]];
    }
    free(y);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 100000;
    NNZ = nsizes > 1 ? sizes[1] : 1000000;
    X = bench_xmalloc(sizeof(double) * (NNZ + N));
    ROW = bench_xmalloc(sizeof(int) * NNZ);
    COL = bench_xmalloc(sizeof(int) * NNZ);
    for (long k = 0; k < NNZ; k++) {
        ROW[k] = (int)(bench_urand(91, k) * N);
        COL[k] = (int)(bench_urand(92, k) * N);
    }
    bench_fill(X, NNZ, 93, -0.5, 0.5);
    bench_fill(X + NNZ, N, 94, -1, 1);
    info->nparams = NNZ + N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld nnz=%ld", N, NNZ);
    info->size_metric = (double)NNZ;
    info->fd_step = 1e-5;
    return 0;
}
double bench_primal(void) { return coo(N, NNZ, ROW, COL, X, X + NNZ); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (NNZ + N));
    __enzyme_autodiff((void *)coo, enzyme_const, N, enzyme_const, NNZ, enzyme_const, ROW, enzyme_const, COL, enzyme_dup,
                      X, g, enzyme_dup, X + NNZ, g + NNZ);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (NNZ + N));
    coo_hand(N, NNZ, ROW, COL, X, X + NNZ, g, g + NNZ);
}
