/* sinkhorn: entropic optimal transport between two 2-D point clouds by K log-domain Sinkhorn
 * iterations (no convergence test), differentiated through the iterations (unrolled):
 *   C_ij = |x_i - y_j|^2 (a scratch n x m matrix),  f = g = 0,  for k < K:
 *     f_i = eps log a_i - eps LSE_j((g_j - C_ij) / eps)      (row log-sum-exp, fmax row maximum)
 *     g_j = eps log b_j - eps LSE_i((f_i - C_ij) / eps)      (column log-sum-exp: strided reads)
 *   objective: sum_i a_i f_i + sum_j b_j g_j (the dual value), uniform weights a, b fixed.
 * Params: x (2n), y (2m). Sizes: n m K.
 * Hand adjoint: the potentials f, g of every iteration stored (K (n + m) doubles); the softmax
 * weights of a half step are rebuilt from them without a second log-sum-exp
 * (P_ij = exp((g_j - C_ij)/eps - log a_i + f_i/eps)); dC accumulated over the iterations into
 * one n x m matrix, turned into dx, dy at the end. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "sinkhorn";
static long N, M, K;
static double *X;
static const double EPS = 0.05;

__attribute__((noinline)) double sinkhorn(long n, long m, long iters, const double *restrict x,
                                          const double *restrict y) {
    double *c = malloc(sizeof(double) * n * m), *f = malloc(sizeof(double) * n), *g = malloc(sizeof(double) * m);
    double la = log(1.0 / n), lb = log(1.0 / m);
    for (long i = 0; i < n; i++)
        for (long j = 0; j < m; j++) {
            double dx = x[2 * i] - y[2 * j], dy = x[2 * i + 1] - y[2 * j + 1];
            c[i * m + j] = dx * dx + dy * dy;
        }
    for (long j = 0; j < m; j++) g[j] = 0;
    for (long k = 0; k < iters; k++) {
        for (long i = 0; i < n; i++) {
            double mx = -INFINITY;
            for (long j = 0; j < m; j++) mx = fmax(mx, (g[j] - c[i * m + j]) / EPS);
            double s = 0;
            for (long j = 0; j < m; j++) s += exp((g[j] - c[i * m + j]) / EPS - mx);
            f[i] = EPS * la - EPS * (mx + log(s));
        }
        for (long j = 0; j < m; j++) {
            double mx = -INFINITY;
            for (long i = 0; i < n; i++) mx = fmax(mx, (f[i] - c[i * m + j]) / EPS);
            double s = 0;
            for (long i = 0; i < n; i++) s += exp((f[i] - c[i * m + j]) / EPS - mx);
            g[j] = EPS * lb - EPS * (mx + log(s));
        }
    }
    double v = 0;
    for (long i = 0; i < n; i++) v += f[i] / n;
    for (long j = 0; j < m; j++) v += g[j] / m;
    free(c);
    free(f);
    free(g);
    return v;
}

__attribute__((noinline)) void sinkhorn_hand(long n, long m, long iters, const double *restrict x,
                                             const double *restrict y, double *restrict gx, double *restrict gy) {
    double *c = malloc(sizeof(double) * n * m), *dc = calloc(n * m, sizeof(double));
    double *fs = malloc(sizeof(double) * iters * n), *gs = malloc(sizeof(double) * iters * m);
    double *fb = malloc(sizeof(double) * n), *gb = malloc(sizeof(double) * m);
    double la = log(1.0 / n), lb = log(1.0 / m);
    for (long i = 0; i < n; i++)
        for (long j = 0; j < m; j++) {
            double dx = x[2 * i] - y[2 * j], dy = x[2 * i + 1] - y[2 * j + 1];
            c[i * m + j] = dx * dx + dy * dy;
        }
    for (long k = 0; k < iters; k++) {
        const double *g = k ? gs + (k - 1) * m : NULL;
        double *f = fs + k * n, *gn = gs + k * m;
        for (long i = 0; i < n; i++) {
            double mx = -INFINITY;
            for (long j = 0; j < m; j++) mx = fmax(mx, ((g ? g[j] : 0) - c[i * m + j]) / EPS);
            double s = 0;
            for (long j = 0; j < m; j++) s += exp(((g ? g[j] : 0) - c[i * m + j]) / EPS - mx);
            f[i] = EPS * la - EPS * (mx + log(s));
        }
        for (long j = 0; j < m; j++) {
            double mx = -INFINITY;
            for (long i = 0; i < n; i++) mx = fmax(mx, (f[i] - c[i * m + j]) / EPS);
            double s = 0;
            for (long i = 0; i < n; i++) s += exp((f[i] - c[i * m + j]) / EPS - mx);
            gn[j] = EPS * lb - EPS * (mx + log(s));
        }
    }
    for (long i = 0; i < n; i++) fb[i] = 1.0 / n;
    for (long j = 0; j < m; j++) gb[j] = 1.0 / m;
    for (long k = iters - 1; k >= 0; k--) {
        const double *f = fs + k * n, *gn = gs + k * m, *g = k ? gs + (k - 1) * m : NULL;
        /* g_j = eps lb - eps LSE_i(z_ij): dg_j/df_i = -Q_ij, dg_j/dC_ij = Q_ij,
           Q_ij = exp((f_i - C_ij)/eps - (lb - g_j/eps)) */
        for (long i = 0; i < n; i++) {
            double acc = 0;
            for (long j = 0; j < m; j++) {
                double q = exp((f[i] - c[i * m + j]) / EPS - lb + gn[j] / EPS) * gb[j];
                acc += q;
                dc[i * m + j] += q;
            }
            fb[i] -= acc;
        }
        /* f_i = eps la - eps LSE_j((g_j - C_ij)/eps): df_i/dg_j = -P_ij, df_i/dC_ij = P_ij */
        for (long j = 0; j < m; j++) gb[j] = 0;
        for (long i = 0; i < n; i++) {
            double w = fb[i], sh = -la + f[i] / EPS;
            for (long j = 0; j < m; j++) {
                double p = exp(((g ? g[j] : 0) - c[i * m + j]) / EPS + sh) * w;
                gb[j] -= p;
                dc[i * m + j] += p;
            }
            fb[i] = 0;
        }
    }
    for (long i = 0; i < n; i++)
        for (long j = 0; j < m; j++) {
            double dx = x[2 * i] - y[2 * j], dy = x[2 * i + 1] - y[2 * j + 1], d = 2 * dc[i * m + j];
            gx[2 * i] += d * dx;
            gx[2 * i + 1] += d * dy;
            gy[2 * j] -= d * dx;
            gy[2 * j + 1] -= d * dy;
        }
    free(c);
    free(dc);
    free(fs);
    free(gs);
    free(fb);
    free(gb);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 128;
    M = nsizes > 1 ? sizes[1] : 128;
    K = nsizes > 2 ? sizes[2] : 30;
    long np = 2 * N + 2 * M;
    X = bench_xmalloc(sizeof(double) * np);
    bench_fill(X, 2 * N, 601, 0, 1);
    bench_fill(X + 2 * N, 2 * M, 602, 0.2, 1.2);
    info->nparams = np;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld m=%ld K=%ld", N, M, K);
    info->size_metric = (double)N * M * K;
    info->fd_step = 1e-6;
    return 0;
}
double bench_primal(void) { return sinkhorn(N, M, K, X, X + 2 * N); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (2 * N + 2 * M));
    __enzyme_autodiff((void *)sinkhorn, enzyme_const, N, enzyme_const, M, enzyme_const, K, enzyme_dup, X, g,
                      enzyme_dup, X + 2 * N, g + 2 * N);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (2 * N + 2 * M));
    sinkhorn_hand(N, M, K, X, X + 2 * N, g, g + 2 * N);
}
