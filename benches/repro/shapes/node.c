/* node: a small neural ODE, h' = tanh(W h + b), forward Euler with S steps of dt = 1/S from h(0),
 * f = 0.5 |h(1) - target|^2. Params: W (d*d), b (d), h(0) (d). Sizes: d S.
 * Hand adjoint: stores h per step; in reverse z = W h + b, a = tanh z, zb = dt hb (1 - a^2),
 * Wb += zb h^T, bb += zb, hb += W^T zb. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "node";
static long D, S;
static double *X, *TG;

__attribute__((noinline)) double node(long d, long steps, const double *restrict w, const double *restrict b,
                                      const double *restrict h0, const double *restrict tg) {
    double *h = malloc(sizeof(double) * d), *a = malloc(sizeof(double) * d);
    double dt = 1.0 / steps;
    memcpy(h, h0, sizeof(double) * d);
    for (long s = 0; s < steps; s++) {
        for (long i = 0; i < d; i++) {
            double z = b[i];
            for (long j = 0; j < d; j++) z += w[i * d + j] * h[j];
            a[i] = tanh(z);
        }
        for (long i = 0; i < d; i++) h[i] += dt * a[i];
    }
    double f = 0;
    for (long i = 0; i < d; i++) f += (h[i] - tg[i]) * (h[i] - tg[i]);
    free(h);
    free(a);
    return 0.5 * f;
}

__attribute__((noinline)) void node_hand(long d, long steps, const double *restrict w, const double *restrict b,
                                         const double *restrict h0, const double *restrict tg, double *restrict wb,
                                         double *restrict bb, double *restrict hb0) {
    double *hs = malloc(sizeof(double) * d * (steps + 1)), *hb = malloc(sizeof(double) * d),
           *zb = malloc(sizeof(double) * d);
    double dt = 1.0 / steps;
    memcpy(hs, h0, sizeof(double) * d);
    for (long s = 0; s < steps; s++) {
        const double *h = hs + s * d;
        double *hn = hs + (s + 1) * d;
        for (long i = 0; i < d; i++) {
            double z = b[i];
            for (long j = 0; j < d; j++) z += w[i * d + j] * h[j];
            hn[i] = h[i] + dt * tanh(z);
        }
    }
    for (long i = 0; i < d; i++) hb[i] = hs[steps * d + i] - tg[i];
    for (long s = steps - 1; s >= 0; s--) {
        const double *h = hs + s * d;
        for (long i = 0; i < d; i++) {
            double z = b[i];
            for (long j = 0; j < d; j++) z += w[i * d + j] * h[j];
            double a = tanh(z);
            zb[i] = dt * hb[i] * (1 - a * a);
            bb[i] += zb[i];
        }
        for (long i = 0; i < d; i++)
            for (long j = 0; j < d; j++) {
                wb[i * d + j] += zb[i] * h[j];
                hb[j] += w[i * d + j] * zb[i];
            }
    }
    for (long i = 0; i < d; i++) hb0[i] += hb[i];
    free(hs); free(hb); free(zb);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    D = nsizes > 0 ? sizes[0] : 32;
    S = nsizes > 1 ? sizes[1] : 1000;
    X = bench_xmalloc(sizeof(double) * (D * D + 2 * D));
    TG = bench_xmalloc(sizeof(double) * D);
    bench_fill(X, D * D, 141, -1.0 / sqrt(D), 1.0 / sqrt(D));
    bench_fill(X + D * D, 2 * D, 142, -0.5, 0.5);
    bench_fill(TG, D, 143, -1, 1);
    info->nparams = D * D + 2 * D;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "d=%ld S=%ld", D, S);
    info->size_metric = (double)D * D * S;
    info->fd_step = 1e-6;
    return 0;
}
double bench_primal(void) { return node(D, S, X, X + D * D, X + D * D + D, TG); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (D * D + 2 * D));
    __enzyme_autodiff((void *)node, enzyme_const, D, enzyme_const, S, enzyme_dup, X, g, enzyme_dup, X + D * D, g + D * D,
                      enzyme_dup, X + D * D + D, g + D * D + D, enzyme_const, TG);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (D * D + 2 * D));
    node_hand(D, S, X, X + D * D, X + D * D + D, TG, g, g + D * D, g + D * D + D);
}
