/* gru: a GRU cell (PyTorch's variant: the reset gate scales U_n h + b_n) run over a sequence of T
 * fixed inputs (m each) from h = 0, hidden size d, two hidden buffers swapped by pointers; loss
 * sum_t (w_o . h_t - y_t)^2. Params: W (3 d x m: z, r, n rows), U (3 d x d), b (3 d), w_o (d).
 * Sizes: T d m.
 * Hand adjoint: h, z, r, n and a = U_n h + b_n stored per step (5 T d doubles), then the usual
 * reverse of the step: gate partials, outer products into W and U, U^T times the gate adjoints. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "gru";
static long T, D, M, NP;
static double *X, *XS, *YS;

__attribute__((noinline)) double gru(long steps, long d, long m, const double *restrict xs,
                                     const double *restrict ys, const double *restrict W, const double *restrict U,
                                     const double *restrict b, const double *restrict wo) {
    double *h = calloc(d, sizeof(double)), *hn = malloc(sizeof(double) * d);
    double loss = 0;
    for (long t = 0; t < steps; t++) {
        const double *x = xs + t * m;
        for (long i = 0; i < d; i++) {
            double gz = b[i], gr = b[d + i], gn = 0, an = b[2 * d + i];
            for (long k = 0; k < m; k++) {
                gz += W[i * m + k] * x[k];
                gr += W[(d + i) * m + k] * x[k];
                gn += W[(2 * d + i) * m + k] * x[k];
            }
            for (long k = 0; k < d; k++) {
                gz += U[i * d + k] * h[k];
                gr += U[(d + i) * d + k] * h[k];
                an += U[(2 * d + i) * d + k] * h[k];
            }
            double z = 1 / (1 + exp(-gz)), r = 1 / (1 + exp(-gr));
            double n = tanh(gn + r * an);
            hn[i] = (1 - z) * n + z * h[i];
        }
        double *tmp = h;
        h = hn;
        hn = tmp;
        double o = 0;
        for (long i = 0; i < d; i++) o += wo[i] * h[i];
        loss += (o - ys[t]) * (o - ys[t]);
    }
    free(h);
    free(hn);
    return loss;
}

__attribute__((noinline)) void gru_hand(long steps, long d, long m, const double *restrict xs,
                                        const double *restrict ys, const double *restrict W, const double *restrict U,
                                        const double *restrict b, const double *restrict wo, double *restrict Wb,
                                        double *restrict Ub, double *restrict bb, double *restrict wob) {
    double *H = calloc((steps + 1) * d, sizeof(double));
    double *Z = malloc(sizeof(double) * steps * d), *R = malloc(sizeof(double) * steps * d);
    double *Nn = malloc(sizeof(double) * steps * d), *A = malloc(sizeof(double) * steps * d);
    for (long t = 0; t < steps; t++) {
        const double *x = xs + t * m, *h = H + t * d;
        for (long i = 0; i < d; i++) {
            double gz = b[i], gr = b[d + i], gn = 0, an = b[2 * d + i];
            for (long k = 0; k < m; k++) {
                gz += W[i * m + k] * x[k];
                gr += W[(d + i) * m + k] * x[k];
                gn += W[(2 * d + i) * m + k] * x[k];
            }
            for (long k = 0; k < d; k++) {
                gz += U[i * d + k] * h[k];
                gr += U[(d + i) * d + k] * h[k];
                an += U[(2 * d + i) * d + k] * h[k];
            }
            double z = 1 / (1 + exp(-gz)), r = 1 / (1 + exp(-gr));
            double n = tanh(gn + r * an);
            Z[t * d + i] = z, R[t * d + i] = r, Nn[t * d + i] = n, A[t * d + i] = an;
            H[(t + 1) * d + i] = (1 - z) * n + z * h[i];
        }
    }
    double *hb = calloc(d, sizeof(double)), *hpb = malloc(sizeof(double) * d);
    double *gzb = malloc(sizeof(double) * d), *grb = malloc(sizeof(double) * d), *anb = malloc(sizeof(double) * d);
    for (long t = steps - 1; t >= 0; t--) {
        const double *x = xs + t * m, *h = H + (t + 1) * d, *hp = H + t * d;
        double o = 0;
        for (long i = 0; i < d; i++) o += wo[i] * h[i];
        double e = 2 * (o - ys[t]);
        for (long i = 0; i < d; i++) {
            wob[i] += e * h[i];
            hb[i] += e * wo[i];
        }
        for (long i = 0; i < d; i++) {
            double z = Z[t * d + i], r = R[t * d + i], n = Nn[t * d + i], an = A[t * d + i];
            double dn = hb[i] * (1 - z), dz = hb[i] * (hp[i] - n);
            hpb[i] = hb[i] * z;
            double dgn = dn * (1 - n * n);
            double dgr = dgn * an * r * (1 - r);
            gzb[i] = dz * z * (1 - z);
            grb[i] = dgr;
            anb[i] = dgn * r;
            bb[i] += gzb[i];
            bb[d + i] += dgr;
            bb[2 * d + i] += anb[i];
            for (long k = 0; k < m; k++) {
                Wb[i * m + k] += gzb[i] * x[k];
                Wb[(d + i) * m + k] += dgr * x[k];
                Wb[(2 * d + i) * m + k] += dgn * x[k];
            }
        }
        for (long i = 0; i < d; i++)
            for (long k = 0; k < d; k++) {
                Ub[i * d + k] += gzb[i] * hp[k];
                Ub[(d + i) * d + k] += grb[i] * hp[k];
                Ub[(2 * d + i) * d + k] += anb[i] * hp[k];
                hpb[k] += U[i * d + k] * gzb[i] + U[(d + i) * d + k] * grb[i] + U[(2 * d + i) * d + k] * anb[i];
            }
        double *tmp = hb;
        hb = hpb;
        hpb = tmp;
    }
    free(hb), free(hpb), free(gzb), free(grb), free(anb);
    free(H), free(Z), free(R), free(Nn), free(A);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    T = nsizes > 0 ? sizes[0] : 1000;
    D = nsizes > 1 ? sizes[1] : 64;
    M = nsizes > 2 ? sizes[2] : 32;
    NP = 3 * D * M + 3 * D * D + 3 * D + D;
    XS = bench_xmalloc(sizeof(double) * T * M);
    YS = bench_xmalloc(sizeof(double) * T);
    bench_fill(XS, T * M, 81, -1, 1);
    for (long t = 0; t < T; t++) YS[t] = sin(0.05 * t);
    X = bench_xmalloc(sizeof(double) * NP);
    double sw = 1.0 / sqrt((double)M), su = 1.0 / sqrt((double)D);
    bench_fill(X, 3 * D * M, 82, -sw, sw);
    bench_fill(X + 3 * D * M, 3 * D * D, 83, -su, su);
    bench_fill(X + 3 * D * M + 3 * D * D, 3 * D, 84, -0.2, 0.2);
    bench_fill(X + 3 * D * M + 3 * D * D + 3 * D, D, 85, -su, su);
    info->nparams = NP;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "T=%ld d=%ld m=%ld", T, D, M);
    info->size_metric = (double)T;
    return 0;
}
double bench_primal(void) {
    return gru(T, D, M, XS, YS, X, X + 3 * D * M, X + 3 * D * M + 3 * D * D, X + 3 * D * M + 3 * D * D + 3 * D);
}
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * NP);
    long u = 3 * D * M, b = u + 3 * D * D, w = b + 3 * D;
    __enzyme_autodiff((void *)gru, enzyme_const, T, enzyme_const, D, enzyme_const, M, enzyme_const, XS,
                      enzyme_const, YS, enzyme_dup, X, g, enzyme_dup, X + u, g + u, enzyme_dup, X + b, g + b,
                      enzyme_dup, X + w, g + w);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * NP);
    long u = 3 * D * M, b = u + 3 * D * D, w = b + 3 * D;
    gru_hand(T, D, M, XS, YS, X, X + u, X + b, X + w, g, g + u, g + b, g + w);
}
