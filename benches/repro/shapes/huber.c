/* huber: robust linear regression, f = sum_i huber(y_i - x_i . w) + lam sum_j softplus(w_j),
 * huber(r) = r^2/2 for |r| <= delta, else delta (|r| - delta/2) (a branch on fabs), softplus(t) =
 * log1p(exp(t)). X (n x p), y fixed (about a tenth of the residuals outliers). Params: w (p). Sizes: n p.
 * Hand adjoint: dr_i = r_i or delta sign(r_i); dw -= dr_i x_i; dw_j += lam sigmoid(w_j). */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "huber";
static long N, P;
static double *X, *XD, *YD;
#define DELTA 0.5
#define LAM 0.1

__attribute__((noinline)) double huber(long n, long p, const double *restrict x, const double *restrict y,
                                       const double *restrict w) {
    double f = 0;
    for (long i = 0; i < n; i++) {
        double r = y[i];
        for (long j = 0; j < p; j++) r -= x[i * p + j] * w[j];
        double a = fabs(r);
        if (a <= DELTA) f += 0.5 * r * r;
        else f += DELTA * (a - 0.5 * DELTA);
    }
    for (long j = 0; j < p; j++) f += LAM * log1p(exp(w[j]));
    return f;
}

__attribute__((noinline)) void huber_hand(long n, long p, const double *restrict x, const double *restrict y,
                                          const double *restrict w, double *restrict g) {
    for (long i = 0; i < n; i++) {
        double r = y[i];
        for (long j = 0; j < p; j++) r -= x[i * p + j] * w[j];
        double d = fabs(r) <= DELTA ? r : copysign(DELTA, r);
        for (long j = 0; j < p; j++) g[j] -= d * x[i * p + j];
    }
    for (long j = 0; j < p; j++) g[j] += LAM / (1 + exp(-w[j]));
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 100000;
    P = nsizes > 1 ? sizes[1] : 16;
    XD = bench_xmalloc(sizeof(double) * N * P);
    bench_fill(XD, N * P, 211, -1, 1);
    YD = bench_xmalloc(sizeof(double) * N);
    X = bench_xmalloc(sizeof(double) * P);
    bench_fill(X, P, 212, -1, 1);
    for (long i = 0; i < N; i++) {
        double t = 0;
        for (long j = 0; j < P; j++) t += XD[i * P + j] * 0.8 * X[j];
        double u = bench_urand(213, i);
        YD[i] = t + 0.6 * (u - 0.5) + (u > 0.9 ? 5 * (bench_urand(214, i) - 0.5) : 0);
    }
    info->nparams = P;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld p=%ld", N, P);
    info->size_metric = (double)N * P;
    info->fd_step = 1e-7;
    info->fd_rtol = 1e-4;
    return 0;
}
double bench_primal(void) { return huber(N, P, XD, YD, X); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * P);
    __enzyme_autodiff((void *)huber, enzyme_const, N, enzyme_const, P, enzyme_const, XD, enzyme_const, YD, enzyme_dup,
                      X, g);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * P);
    huber_hand(N, P, XD, YD, X, g);
}
