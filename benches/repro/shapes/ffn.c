/* ffn: a transformer feed-forward block per token: layernorm (mean, variance, 1/sqrt(var + eps)), scale
 * gamma and shift beta, h = GELU(W1 a + b1) with the exact GELU 0.5 h (1 + erf(h / sqrt 2)), y = x + W2 h
 * (residual), f = 0.5 |y|^2 summed over tokens. Tokens X (T x d) fixed. Params: gamma, beta (d), W1
 * (m x d), b1 (m), W2 (d x m). Sizes: T d m.
 * Hand adjoint: per token dy = y; dW2 += dy g^T; dg = W2^T dy; dh = dg (Phi(h) + h phi(h)); dW1 += dh a^T;
 * db1 += dh; da = W1^T dh; dgamma += da xn; dbeta += da. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "ffn";
static long T, D, M;
static double *X, *XD;
#define EPS 1e-5

__attribute__((noinline)) double ffn(long t, long d, long m, const double *restrict x, const double *restrict gamma,
                                     const double *restrict beta, const double *restrict w1,
                                     const double *restrict b1, const double *restrict w2) {
    double *a = malloc(sizeof(double) * d), *h = malloc(sizeof(double) * m);
    double f = 0;
    for (long s = 0; s < t; s++) {
        const double *xs = x + s * d;
        double mu = 0, var = 0;
        for (long j = 0; j < d; j++) mu += xs[j];
        mu /= d;
        for (long j = 0; j < d; j++) var += (xs[j] - mu) * (xs[j] - mu);
        double r = 1 / sqrt(var / d + EPS);
        for (long j = 0; j < d; j++) a[j] = gamma[j] * (xs[j] - mu) * r + beta[j];
        for (long q = 0; q < m; q++) {
            double z = b1[q];
            for (long j = 0; j < d; j++) z += w1[q * d + j] * a[j];
            h[q] = 0.5 * z * (1 + erf(z * M_SQRT1_2));
        }
        for (long j = 0; j < d; j++) {
            double y = xs[j];
            for (long q = 0; q < m; q++) y += w2[j * m + q] * h[q];
            f += 0.5 * y * y;
        }
    }
    free(a);
    free(h);
    return f;
}

__attribute__((noinline)) void ffn_hand(long t, long d, long m, const double *restrict x,
                                        const double *restrict gamma, const double *restrict beta,
                                        const double *restrict w1, const double *restrict b1,
                                        const double *restrict w2, double *restrict ggamma, double *restrict gbeta,
                                        double *restrict gw1, double *restrict gb1, double *restrict gw2) {
    double *a = malloc(sizeof(double) * d), *xn = malloc(sizeof(double) * d), *z = malloc(sizeof(double) * m);
    double *h = malloc(sizeof(double) * m), *dh = malloc(sizeof(double) * m), *da = malloc(sizeof(double) * d);
    for (long s = 0; s < t; s++) {
        const double *xs = x + s * d;
        double mu = 0, var = 0;
        for (long j = 0; j < d; j++) mu += xs[j];
        mu /= d;
        for (long j = 0; j < d; j++) var += (xs[j] - mu) * (xs[j] - mu);
        double r = 1 / sqrt(var / d + EPS);
        for (long j = 0; j < d; j++) {
            xn[j] = (xs[j] - mu) * r;
            a[j] = gamma[j] * xn[j] + beta[j];
        }
        for (long q = 0; q < m; q++) {
            double v = b1[q];
            for (long j = 0; j < d; j++) v += w1[q * d + j] * a[j];
            z[q] = v;
            h[q] = 0.5 * v * (1 + erf(v * M_SQRT1_2));
            dh[q] = 0;
        }
        for (long j = 0; j < d; j++) {
            double y = xs[j];
            for (long q = 0; q < m; q++) y += w2[j * m + q] * h[q];
            for (long q = 0; q < m; q++) {
                gw2[j * m + q] += y * h[q];
                dh[q] += y * w2[j * m + q];
            }
        }
        for (long j = 0; j < d; j++) da[j] = 0;
        for (long q = 0; q < m; q++) {
            double v = z[q];
            double e = dh[q] * (0.5 * (1 + erf(v * M_SQRT1_2)) + v * exp(-0.5 * v * v) * (0.5 * M_2_SQRTPI * M_SQRT1_2));
            gb1[q] += e;
            for (long j = 0; j < d; j++) {
                gw1[q * d + j] += e * a[j];
                da[j] += e * w1[q * d + j];
            }
        }
        for (long j = 0; j < d; j++) {
            ggamma[j] += da[j] * xn[j];
            gbeta[j] += da[j];
        }
    }
    free(a); free(xn); free(z); free(h); free(dh); free(da);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    T = nsizes > 0 ? sizes[0] : 128;
    D = nsizes > 1 ? sizes[1] : 64;
    M = nsizes > 2 ? sizes[2] : 256;
    long np = 2 * D + M * D + M + D * M;
    XD = bench_xmalloc(sizeof(double) * T * D);
    bench_fill(XD, T * D, 231, -1, 1);
    X = bench_xmalloc(sizeof(double) * np);
    for (long j = 0; j < D; j++) X[j] = 1 + 0.2 * (bench_urand(232, j) - 0.5);
    bench_fill(X + D, D, 233, -0.1, 0.1);
    bench_fill(X + 2 * D, np - 2 * D, 234, -0.15, 0.15);
    info->nparams = np;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "T=%ld d=%ld m=%ld", T, D, M);
    info->size_metric = (double)T * D * M;
    info->fd_step = 1e-6;
    return 0;
}
#define ARGS(v) v, v + D, v + 2 * D, v + 2 * D + M * D, v + 2 * D + M * D + M
double bench_primal(void) { return ffn(T, D, M, XD, ARGS(X)); }
void bench_grad_ferment(double *g) {
    long np = 2 * D + M * D + M + D * M;
    memset(g, 0, sizeof(double) * np);
    __enzyme_autodiff((void *)ffn, enzyme_const, T, enzyme_const, D, enzyme_const, M, enzyme_const, XD, enzyme_dup,
                      X, g, enzyme_dup, X + D, g + D, enzyme_dup, X + 2 * D, g + 2 * D, enzyme_dup,
                      X + 2 * D + M * D, g + 2 * D + M * D, enzyme_dup, X + 2 * D + M * D + M,
                      g + 2 * D + M * D + M);
}
void bench_grad_hand(double *g) {
    long np = 2 * D + M * D + M + D * M;
    memset(g, 0, sizeof(double) * np);
    ffn_hand(T, D, M, XD, ARGS(X), ARGS(g));
}
