/* masked_attention: one causal softmax attention head, scores masked with -INFINITY above the
 * diagonal (s_ij = q_i . k_j / sqrt(d) for j <= i), row softmax with the maximum subtracted,
 * O = P V, f = 0.5 |O|^2. Params: Q, K, V (T x d each). Sizes: T d.
 * Hand adjoint: dO = O; dV = P^T dO; dP = dO V^T; dS = P o (dP - rowsum(dP o P));
 * dQ = dS K / sqrt(d); dK = dS^T Q / sqrt(d) (masked entries have P = 0, so dS = 0). */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "masked_attention";
static long T, D;
static double *X;

__attribute__((noinline)) double attn(long t, long d, const double *restrict q, const double *restrict k,
                                      const double *restrict v) {
    double *s = malloc(sizeof(double) * t), *o = malloc(sizeof(double) * d);
    double scale = 1 / sqrt((double)d), f = 0;
    for (long i = 0; i < t; i++) {
        double mx = -INFINITY;
        for (long j = 0; j < t; j++) {
            double a = -INFINITY;
            if (j <= i) {
                a = 0;
                for (long c = 0; c < d; c++) a += q[i * d + c] * k[j * d + c];
                a *= scale;
            }
            s[j] = a;
            mx = fmax(mx, a);
        }
        double z = 0;
        for (long j = 0; j < t; j++) {
            s[j] = exp(s[j] - mx);
            z += s[j];
        }
        for (long c = 0; c < d; c++) o[c] = 0;
        for (long j = 0; j < t; j++)
            for (long c = 0; c < d; c++) o[c] += s[j] / z * v[j * d + c];
        for (long c = 0; c < d; c++) f += o[c] * o[c];
    }
    free(s);
    free(o);
    return 0.5 * f;
}

__attribute__((noinline)) void attn_hand(long t, long d, const double *restrict q, const double *restrict k,
                                         const double *restrict v, double *restrict qb, double *restrict kb,
                                         double *restrict vb) {
    double *p = malloc(sizeof(double) * t), *o = malloc(sizeof(double) * d), *dp = malloc(sizeof(double) * t);
    double scale = 1 / sqrt((double)d);
    for (long i = 0; i < t; i++) {
        double mx = -INFINITY;
        for (long j = 0; j <= i; j++) {
            double a = 0;
            for (long c = 0; c < d; c++) a += q[i * d + c] * k[j * d + c];
            p[j] = a * scale;
            mx = fmax(mx, p[j]);
        }
        double z = 0;
        for (long j = 0; j <= i; j++) {
            p[j] = exp(p[j] - mx);
            z += p[j];
        }
        for (long c = 0; c < d; c++) o[c] = 0;
        for (long j = 0; j <= i; j++) {
            p[j] /= z;
            for (long c = 0; c < d; c++) o[c] += p[j] * v[j * d + c];
        }
        /* dO = o */
        double r = 0;
        for (long j = 0; j <= i; j++) {
            double a = 0;
            for (long c = 0; c < d; c++) {
                vb[j * d + c] += p[j] * o[c];
                a += o[c] * v[j * d + c];
            }
            dp[j] = a;
            r += a * p[j];
        }
        for (long j = 0; j <= i; j++) {
            double ds = p[j] * (dp[j] - r) * scale;
            for (long c = 0; c < d; c++) {
                qb[i * d + c] += ds * k[j * d + c];
                kb[j * d + c] += ds * q[i * d + c];
            }
        }
    }
    free(p); free(o); free(dp);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    T = nsizes > 0 ? sizes[0] : 256;
    D = nsizes > 1 ? sizes[1] : 32;
    X = bench_xmalloc(sizeof(double) * 3 * T * D);
    bench_fill(X, 3 * T * D, 161, -1, 1);
    info->nparams = 3 * T * D;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "T=%ld d=%ld", T, D);
    info->size_metric = (double)T * T * D;
    info->fd_step = 1e-6;
    return 0;
}
double bench_primal(void) { return attn(T, D, X, X + T * D, X + 2 * T * D); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 3 * T * D);
    __enzyme_autodiff((void *)attn, enzyme_const, T, enzyme_const, D, enzyme_dup, X, g, enzyme_dup, X + T * D, g + T * D,
                      enzyme_dup, X + 2 * T * D, g + 2 * T * D);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 3 * T * D);
    attn_hand(T, D, X, X + T * D, X + 2 * T * D, g, g + T * D, g + 2 * T * D);
}
