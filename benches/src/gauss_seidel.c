/* gauss_seidel: K lexicographic Gauss-Seidel sweeps, in place, for the m x m screened Poisson
 * problem (1 + 4c) x_ij - c (x_{i-1,j} + x_{i+1,j} + x_{i,j-1} + x_{i,j+1}) = b_ij (zero outside
 * the grid), from x = 0; f = 0.5 |x_K|^2. Params: b (m*m) then c. Sizes: m K.
 * Hand adjoint: stores x before every sweep; each sweep in reverse visits the points in reverse
 * order: t = xb_ij, xb_ij = 0, bb_ij += t/(1+4c), each neighbour's adjoint += t c/(1+4c) (the
 * earlier neighbours' new values, the later ones' old values), cb += t (S - 4 x_ij)/(1+4c). */
#include "bench.h"
#include <ferment.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "gauss_seidel";
static long M, K;
static double *X;

static void sweep(long m, double *x, const double *b, double c) {
    double inv = 1 / (1 + 4 * c);
    for (long i = 0; i < m; i++)
        for (long j = 0; j < m; j++) {
            double s = 0;
            if (i > 0) s += x[(i - 1) * m + j];
            if (i < m - 1) s += x[(i + 1) * m + j];
            if (j > 0) s += x[i * m + j - 1];
            if (j < m - 1) s += x[i * m + j + 1];
            x[i * m + j] = (b[i * m + j] + c * s) * inv;
        }
}

__attribute__((noinline)) double gauss_seidel(long m, long k, const double *restrict b, const double *restrict cp) {
    double *x = calloc(m * m, sizeof(double));
    double c = *cp;
    for (long it = 0; it < k; it++) sweep(m, x, b, c);
    double f = 0;
    for (long i = 0; i < m * m; i++) f += x[i] * x[i];
    free(x);
    return 0.5 * f;
}

__attribute__((noinline)) void gauss_seidel_hand(long m, long k, const double *restrict b, const double *restrict cp,
                                                 double *restrict bb, double *restrict cb) {
    long n = m * m;
    double c = *cp, inv = 1 / (1 + 4 * c), cs = 0;
    double *st = calloc(n * (k + 1), sizeof(double));
    double *xb = malloc(sizeof(double) * n);
    for (long it = 0; it < k; it++) {
        memcpy(st + (it + 1) * n, st + it * n, sizeof(double) * n);
        sweep(m, st + (it + 1) * n, b, c);
    }
    memcpy(xb, st + k * n, sizeof(double) * n);
    for (long it = k - 1; it >= 0; it--) {
        const double *xo = st + it * n, *xn = st + (it + 1) * n;
        for (long i = m - 1; i >= 0; i--)
            for (long j = m - 1; j >= 0; j--) {
                long p = i * m + j;
                double t = xb[p], w = t * c * inv, s = 0;
                xb[p] = 0;
                bb[p] += t * inv;
                if (i > 0) { s += xn[p - m]; xb[p - m] += w; }
                if (i < m - 1) { s += xo[p + m]; xb[p + m] += w; }
                if (j > 0) { s += xn[p - 1]; xb[p - 1] += w; }
                if (j < m - 1) { s += xo[p + 1]; xb[p + 1] += w; }
                cs += t * (s - 4 * xn[p]) * inv;
            }
    }
    *cb += cs;
    free(st);
    free(xb);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    M = nsizes > 0 ? sizes[0] : 200;
    K = nsizes > 1 ? sizes[1] : 20;
    X = bench_xmalloc(sizeof(double) * (M * M + 1));
    bench_fill(X, M * M, 111, -1, 1);
    X[M * M] = 2.0;
    info->nparams = M * M + 1;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "m=%ld K=%ld", M, K);
    info->size_metric = (double)M * M * K;
    info->fd_step = 1e-5;
    return 0;
}
double bench_primal(void) { return gauss_seidel(M, K, X, X + M * M); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (M * M + 1));
    __enzyme_autodiff((void *)gauss_seidel, enzyme_const, M, enzyme_const, K, enzyme_dup, X, g, enzyme_dup, X + M * M,
                      g + M * M);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (M * M + 1));
    gauss_seidel_hand(M, K, X, X + M * M, g, g + M * M);
}
