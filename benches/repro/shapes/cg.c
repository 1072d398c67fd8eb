/* cg: conjugate-gradient solve with a fixed number of iterations (no convergence test) of
 * A x = b, A = L + diag(c) with L the 5-point Laplacian on an m x m grid (Dirichlet, fixed) and a
 * positive per-cell reaction term c; x0 = 0. Objective 0.5 |x_K - t|^2 with t fixed.
 * Params: b (n = m*m) and c (n). Sizes: m K.
 * Hand adjoint: the iteration reversed step by step (p_k, r_k and the scalars stored per step,
 * q = A p_k recomputed); A is symmetric, so the adjoint of q = A p is pbar += A qbar, cbar += qbar p. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "cg";
static long M, K;
static double *X, *TD;

static void apply(long m, const double *restrict c, const double *restrict p, double *restrict q) {
    for (long i = 0; i < m; i++)
        for (long j = 0; j < m; j++) {
            long k = i * m + j;
            double s = (4 + c[k]) * p[k];
            if (i > 0) s -= p[k - m];
            if (i < m - 1) s -= p[k + m];
            if (j > 0) s -= p[k - 1];
            if (j < m - 1) s -= p[k + 1];
            q[k] = s;
        }
}

__attribute__((noinline)) double cg_solve(long m, long iters, const double *restrict b, const double *restrict c,
                                          const double *restrict t) {
    long n = m * m;
    double *x = calloc(n, sizeof(double)), *r = malloc(n * sizeof(double)), *p = malloc(n * sizeof(double)),
           *q = malloc(n * sizeof(double));
    double rr = 0;
    for (long k = 0; k < n; k++) {
        r[k] = b[k];
        p[k] = b[k];
        rr += b[k] * b[k];
    }
    for (long it = 0; it < iters; it++) {
        apply(m, c, p, q);
        double pq = 0;
        for (long k = 0; k < n; k++) pq += p[k] * q[k];
        double alpha = rr / pq;
        double rrn = 0;
        for (long k = 0; k < n; k++) {
            x[k] += alpha * p[k];
            r[k] -= alpha * q[k];
            rrn += r[k] * r[k];
        }
        double beta = rrn / rr;
        for (long k = 0; k < n; k++) p[k] = r[k] + beta * p[k];
        rr = rrn;
    }
    double f = 0;
    for (long k = 0; k < n; k++) f += 0.5 * (x[k] - t[k]) * (x[k] - t[k]);
    free(x);
    free(r);
    free(p);
    free(q);
    return f;
}

__attribute__((noinline)) void cg_hand(long m, long iters, const double *restrict b, const double *restrict c,
                                       const double *restrict t, double *restrict gb, double *restrict gc) {
    long n = m * m;
    /* forward, storing p_k and r_k (k = 0..iters) and the scalars */
    double *P = malloc((iters + 1) * n * sizeof(double)), *R = malloc((iters + 1) * n * sizeof(double));
    double *x = calloc(n, sizeof(double)), *q = malloc(n * sizeof(double));
    double *rrs = malloc((iters + 1) * sizeof(double)), *al = malloc(iters * sizeof(double)),
           *be = malloc(iters * sizeof(double)), *pqs = malloc(iters * sizeof(double));
    double rr = 0;
    for (long k = 0; k < n; k++) {
        R[k] = b[k];
        P[k] = b[k];
        rr += b[k] * b[k];
    }
    rrs[0] = rr;
    for (long it = 0; it < iters; it++) {
        const double *p = P + it * n, *r = R + it * n;
        double *pn = P + (it + 1) * n, *rn = R + (it + 1) * n;
        apply(m, c, p, q);
        double pq = 0;
        for (long k = 0; k < n; k++) pq += p[k] * q[k];
        double alpha = rr / pq;
        double rrn = 0;
        for (long k = 0; k < n; k++) {
            x[k] += alpha * p[k];
            rn[k] = r[k] - alpha * q[k];
            rrn += rn[k] * rn[k];
        }
        double beta = rrn / rr;
        for (long k = 0; k < n; k++) pn[k] = rn[k] + beta * p[k];
        al[it] = alpha;
        be[it] = beta;
        pqs[it] = pq;
        rr = rrn;
        rrs[it + 1] = rr;
    }
    /* reverse */
    double *xb = malloc(n * sizeof(double)), *rb = calloc(n, sizeof(double)), *pb = calloc(n, sizeof(double)),
           *qb = malloc(n * sizeof(double)), *tmp = malloc(n * sizeof(double));
    for (long k = 0; k < n; k++) xb[k] = x[k] - t[k];
    double rrb = 0;
    for (long it = iters - 1; it >= 0; it--) {
        const double *p = P + it * n, *rn = R + (it + 1) * n;
        double alpha = al[it], beta = be[it], pq = pqs[it], rr0 = rrs[it], rrn = rrs[it + 1];
        apply(m, c, p, q);
        /* p' = r' + beta p ; rr' = rrn */
        double betab = 0;
        for (long k = 0; k < n; k++) betab += pb[k] * p[k];
        double rrnb = rrb + betab / rr0;
        double rr0b = -betab * rrn / (rr0 * rr0);
        /* r'bar = rb + pb' ; r' = r - alpha q ; rrn = r'.r' ; x' = x + alpha p */
        double alphab = 0;
        for (long k = 0; k < n; k++) {
            double rnb = rb[k] + pb[k] + 2 * rrnb * rn[k];
            rb[k] = rnb;
            alphab += xb[k] * p[k] - rnb * q[k];
            qb[k] = -alpha * rnb;
            pb[k] = beta * pb[k] + alpha * xb[k];
        }
        /* alpha = rr0 / pq ; pq = p.q */
        rr0b += alphab / pq;
        double pqb = -alphab * rr0 / (pq * pq);
        for (long k = 0; k < n; k++) {
            qb[k] += pqb * p[k];
            pb[k] += pqb * q[k];
            gc[k] += qb[k] * p[k];
        }
        apply(m, c, qb, tmp); /* A^T qb = A qb */
        for (long k = 0; k < n; k++) pb[k] += tmp[k];
        rrb = rr0b;
    }
    /* r0 = b, p0 = b, rr0 = b.b */
    for (long k = 0; k < n; k++) gb[k] += rb[k] + pb[k] + 2 * rrb * b[k];
    free(P), free(R), free(x), free(q), free(rrs), free(al), free(be), free(pqs);
    free(xb), free(rb), free(pb), free(qb), free(tmp);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    M = nsizes > 0 ? sizes[0] : 100;
    K = nsizes > 1 ? sizes[1] : 40;
    long n = M * M;
    X = bench_xmalloc(sizeof(double) * 2 * n);
    bench_fill(X, n, 401, -1, 1);
    bench_fill(X + n, n, 402, 0.5, 1.5);
    TD = bench_xmalloc(sizeof(double) * n);
    bench_fill(TD, n, 403, -0.2, 0.2);
    info->nparams = 2 * n;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "m=%ld K=%ld", M, K);
    info->size_metric = (double)n * K;
    info->fd_step = 1e-4; /* f ~ 500 summed over 10^4 cells: a smaller step loses the gradient to rounding */
    return 0;
}
double bench_primal(void) { return cg_solve(M, K, X, X + M * M, TD); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 2 * M * M);
    __enzyme_autodiff((void *)cg_solve, enzyme_const, M, enzyme_const, K, enzyme_dup, X, g, enzyme_dup, X + M * M,
                      g + M * M, enzyme_const, TD);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 2 * M * M);
    cg_hand(M, K, X, X + M * M, TD, g, g + M * M);
}
