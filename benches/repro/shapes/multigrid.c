/* multigrid: K V-cycles for the 2-D screened Poisson problem (4u - neighbours)/h^2 + C u = b on the
 * (2^L - 1)^2 interior points of the unit square, zero Dirichlet boundary. The V-cycle is recursive:
 * NU forward Gauss-Seidel sweeps, residual, full-weighting restriction into a coarse residual
 * malloc'ed by the callee's caller, the coarse correction by a recursive call on a zero initial guess
 * (one point: solved exactly), bilinear prolongation scattered (+=) into the fine grid, NU backward
 * Gauss-Seidel sweeps. f = sum 0.5 (x - t)^2 + 0.25 EPS x^4 over the fine grid after K cycles from 0.
 * Params: b (n^2). Sizes: L K.
 * Hand adjoint: one cycle is x <- x + M (b - A x) with M symmetric (backward sweeps are the adjoint
 * of the forward ones, restriction = prolongation^T / 4, the coarse operator symmetric), so
 * x_K = sum_k (I - M A)^k M b and b_bar = sum_k M (I - A M)^k lam: K V-cycles on zero guesses. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "multigrid";
static long L, K;
static double *X, *TGT;
#define CREACT 1.0
#define NU 2
#define EPS 0.1

static void gs_sweep(long n, double h, double *x, const double *b, int backward) {
    double d = 4 / (h * h) + CREACT, w = 1 / (h * h);
    for (long q = 0; q < n; q++) {
        long i = backward ? n - 1 - q : q;
        for (long r = 0; r < n; r++) {
            long j = backward ? n - 1 - r : r;
            double s = b[i * n + j];
            if (i > 0) s += w * x[(i - 1) * n + j];
            if (i < n - 1) s += w * x[(i + 1) * n + j];
            if (j > 0) s += w * x[i * n + j - 1];
            if (j < n - 1) s += w * x[i * n + j + 1];
            x[i * n + j] = s / d;
        }
    }
}

/* x <- x + M (b - A x) on the n x n grid, n = 2^level - 1 */
static void vcycle(long n, double h, double *x, const double *b) {
    if (n == 1) {
        x[0] = b[0] / (4 / (h * h) + CREACT);
        return;
    }
    for (int s = 0; s < NU; s++) gs_sweep(n, h, x, b, 0);
    long nc = (n - 1) / 2;
    double *r = malloc(sizeof(double) * n * n);
    double *rc = malloc(sizeof(double) * nc * nc), *ec = calloc(nc * nc, sizeof(double));
    double w = 1 / (h * h), d = 4 / (h * h) + CREACT;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) {
            double ax = d * x[i * n + j];
            if (i > 0) ax -= w * x[(i - 1) * n + j];
            if (i < n - 1) ax -= w * x[(i + 1) * n + j];
            if (j > 0) ax -= w * x[i * n + j - 1];
            if (j < n - 1) ax -= w * x[i * n + j + 1];
            r[i * n + j] = b[i * n + j] - ax;
        }
    for (long I = 0; I < nc; I++)
        for (long J = 0; J < nc; J++) {
            long i = 2 * I + 1, j = 2 * J + 1;
            rc[I * nc + J] = (4 * r[i * n + j] + 2 * (r[(i - 1) * n + j] + r[(i + 1) * n + j] + r[i * n + j - 1] +
                                                      r[i * n + j + 1]) +
                              r[(i - 1) * n + j - 1] + r[(i - 1) * n + j + 1] + r[(i + 1) * n + j - 1] +
                              r[(i + 1) * n + j + 1]) /
                             16;
        }
    vcycle(nc, 2 * h, ec, rc);
    static const double wt[3] = {0.5, 1, 0.5};
    for (long I = 0; I < nc; I++)
        for (long J = 0; J < nc; J++)
            for (int a = 0; a < 3; a++)
                for (int c = 0; c < 3; c++) x[(2 * I + a) * n + 2 * J + c] += wt[a] * wt[c] * ec[I * nc + J];
    free(r);
    free(rc);
    free(ec);
    for (int s = 0; s < NU; s++) gs_sweep(n, h, x, b, 1);
}

__attribute__((noinline)) double multigrid(long lev, long ncyc, const double *restrict b, const double *restrict t) {
    long n = (1L << lev) - 1;
    double h = 1.0 / (n + 1);
    double *x = calloc(n * n, sizeof(double));
    for (long k = 0; k < ncyc; k++) vcycle(n, h, x, b);
    double f = 0;
    for (long i = 0; i < n * n; i++) {
        double e = x[i] - t[i];
        f += 0.5 * e * e + 0.25 * EPS * x[i] * x[i] * x[i] * x[i];
    }
    free(x);
    return f;
}

__attribute__((noinline)) void multigrid_hand(long lev, long ncyc, const double *restrict b, const double *restrict t,
                                              double *restrict g) {
    long n = (1L << lev) - 1;
    double h = 1.0 / (n + 1), w = 1 / (h * h), d = 4 / (h * h) + CREACT;
    double *x = calloc(n * n, sizeof(double)), *y = malloc(sizeof(double) * n * n);
    double *z = malloc(sizeof(double) * n * n);
    for (long k = 0; k < ncyc; k++) vcycle(n, h, x, b);
    for (long i = 0; i < n * n; i++) y[i] = x[i] - t[i] + EPS * x[i] * x[i] * x[i];
    for (long k = 0; k < ncyc; k++) {
        memset(z, 0, sizeof(double) * n * n);
        vcycle(n, h, z, y);
        for (long i = 0; i < n; i++)
            for (long j = 0; j < n; j++) {
                double az = d * z[i * n + j];
                if (i > 0) az -= w * z[(i - 1) * n + j];
                if (i < n - 1) az -= w * z[(i + 1) * n + j];
                if (j > 0) az -= w * z[i * n + j - 1];
                if (j < n - 1) az -= w * z[i * n + j + 1];
                g[i * n + j] += z[i * n + j];
                y[i * n + j] -= az;
            }
    }
    free(x);
    free(y);
    free(z);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    L = nsizes > 0 ? sizes[0] : 8;
    K = nsizes > 1 ? sizes[1] : 4;
    long n = (1L << L) - 1;
    X = bench_xmalloc(sizeof(double) * n * n);
    TGT = bench_xmalloc(sizeof(double) * n * n);
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) {
            double p = (i + 1.0) / (n + 1), q = (j + 1.0) / (n + 1);
            X[i * n + j] = 20 * sin(3.14159265358979 * p) * sin(2 * 3.14159265358979 * q) + bench_urand(501, i * n + j);
            TGT[i * n + j] = p * (1 - p) * q;
        }
    info->nparams = n * n;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "L=%ld K=%ld", L, K);
    info->size_metric = (double)n * n * K;
    info->fd_step = 1e-2; /* f sums n^2 terms: smaller steps drown in rounding */
    info->fd_rtol = 1e-4;
    return 0;
}
double bench_primal(void) { return multigrid(L, K, X, TGT); }
void bench_grad_ferment(double *g) {
    long n = (1L << L) - 1;
    memset(g, 0, sizeof(double) * n * n);
    __enzyme_autodiff((void *)multigrid, enzyme_const, L, enzyme_const, K, enzyme_dup, X, g, enzyme_const, TGT);
}
void bench_grad_hand(double *g) {
    long n = (1L << L) - 1;
    memset(g, 0, sizeof(double) * n * n);
    multigrid_hand(L, K, X, TGT, g);
}
