/* ordinal: ordinal (cumulative-logit, proportional-odds) regression, negative log-likelihood. Per row
 * a linear predictor eta_i = x_i . w and a label y_i in 0..K-1 (fixed); with increasing cutpoints
 * th_0 < ... < th_{K-2}, P(y = k) = sigmoid(th_k - eta) - sigmoid(th_{k-1} - eta), the first term 1
 * for k = K-1 and the second 0 for k = 0 (branches on the label), the cutpoints gathered by the
 * label. f = -sum_i log P(y_i) + 0.5 lam |w|^2. X (n x p) and y fixed. Params: w (p), th (K-1).
 * Sizes: n p K.
 * Hand adjoint: with s_hi = sigmoid(th_k - eta), s_lo = sigmoid(th_{k-1} - eta) and P = s_hi - s_lo,
 * d/dth_k = -s_hi (1 - s_hi) / P, d/dth_{k-1} = s_lo (1 - s_lo) / P, d/deta = -(d/dth_k + d/dth_{k-1}),
 * gw += d/deta x_i (each row's adjoint right after its forward pass). */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "ordinal";
static long N, P, K;
static double *X, *XD;
static int *YD;
#define LAM 0.01

static inline double sigmoid(double t) { return 1 / (1 + exp(-t)); }

__attribute__((noinline)) double ordinal(long n, long p, long k, const double *restrict x, const int *restrict y,
                                         const double *restrict w, const double *restrict th) {
    double f = 0;
    for (long i = 0; i < n; i++) {
        double eta = 0;
        for (long j = 0; j < p; j++) eta += x[i * p + j] * w[j];
        int c = y[i];
        double hi = c < k - 1 ? sigmoid(th[c] - eta) : 1;
        double lo = c > 0 ? sigmoid(th[c - 1] - eta) : 0;
        f -= log(hi - lo);
    }
    double r = 0;
    for (long j = 0; j < p; j++) r += w[j] * w[j];
    return f + 0.5 * LAM * r;
}

__attribute__((noinline)) void ordinal_hand(long n, long p, long k, const double *restrict x, const int *restrict y,
                                            const double *restrict w, const double *restrict th, double *restrict gw,
                                            double *restrict gth) {
    for (long i = 0; i < n; i++) {
        const double *xi = x + i * p;
        double eta = 0;
        for (long j = 0; j < p; j++) eta += xi[j] * w[j];
        int c = y[i];
        double shi = c < k - 1 ? sigmoid(th[c] - eta) : 1;
        double slo = c > 0 ? sigmoid(th[c - 1] - eta) : 0;
        double ip = 1 / (shi - slo);
        double dhi = c < k - 1 ? -shi * (1 - shi) * ip : 0;
        double dlo = c > 0 ? slo * (1 - slo) * ip : 0;
        if (c < k - 1) gth[c] += dhi;
        if (c > 0) gth[c - 1] += dlo;
        double de = -(dhi + dlo);
        for (long j = 0; j < p; j++) gw[j] += de * xi[j];
    }
    for (long j = 0; j < p; j++) gw[j] += LAM * w[j];
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 100000;
    P = nsizes > 1 ? sizes[1] : 16;
    K = nsizes > 2 ? sizes[2] : 5;
    if (K < 2) K = 2;
    XD = bench_xmalloc(sizeof(double) * N * P);
    bench_fill(XD, N * P, 311, -1, 1);
    YD = bench_xmalloc(sizeof(int) * N);
    X = bench_xmalloc(sizeof(double) * (P + K - 1));
    bench_fill(X, P, 312, -0.5, 0.5);
    /* cutpoints spread around 0, 1.2 apart */
    for (long c = 0; c < K - 1; c++) X[P + c] = 1.2 * (c - 0.5 * (K - 2));
    /* labels from the model with slightly different weights and logistic noise */
    for (long i = 0; i < N; i++) {
        double eta = 0;
        for (long j = 0; j < P; j++) eta += XD[i * P + j] * 1.1 * X[j];
        double u = bench_urand(313, i);
        u = u < 1e-12 ? 1e-12 : u > 1 - 1e-12 ? 1 - 1e-12 : u;
        double z = eta + log(u / (1 - u));
        int c = 0;
        while (c < K - 1 && z > X[P + c]) c++;
        YD[i] = c;
    }
    info->nparams = P + K - 1;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld p=%ld K=%ld", N, P, K);
    info->size_metric = (double)N * P;
    info->fd_rtol = 1e-4;
    return 0;
}
double bench_primal(void) { return ordinal(N, P, K, XD, YD, X, X + P); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (P + K - 1));
    __enzyme_autodiff((void *)ordinal, enzyme_const, N, enzyme_const, P, enzyme_const, K, enzyme_const, XD,
                      enzyme_const, YD, enzyme_dup, X, g, enzyme_dup, X + P, g + P);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (P + K - 1));
    ordinal_hand(N, P, K, XD, YD, X, X + P, g, g + P);
}
