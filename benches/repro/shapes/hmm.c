/* hmm: log-likelihood of an observation sequence under a hidden Markov model by the forward
 * algorithm in log space: alpha_0(s) = pi_s + B[s][o_0],
 *   alpha_t(s) = logsumexp_r(alpha_{t-1}(r) + A[r][s]) + B[s][o_t]   (row maximum by fmax),
 * f = -logsumexp_s alpha_{T-1}(s). A (S x S), B (S x V) and pi (S) are free log-scores (not
 * normalized); observations o fixed (an integer index per step: a data-dependent gather).
 * Params: A, B, pi. Sizes: T S V.
 * Hand adjoint: alphas stored per step, then the backward recursion with the softmax weights
 * w_rs = exp(alpha_{t-1}(r) + A[r][s] - (alpha_t(s) - B[s][o_t])). */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "hmm";
static long T, S, V;
static double *X;
static int *OBS;

__attribute__((noinline)) double hmm_nll(long t_len, long ns, long nv, const int *restrict o, const double *restrict a,
                                         const double *restrict bm, const double *restrict pi) {
    double *al = malloc(ns * sizeof(double)), *nx = malloc(ns * sizeof(double));
    for (long s = 0; s < ns; s++) al[s] = pi[s] + bm[s * nv + o[0]];
    for (long t = 1; t < t_len; t++) {
        for (long s = 0; s < ns; s++) {
            double m = -INFINITY;
            for (long r = 0; r < ns; r++) m = fmax(m, al[r] + a[r * ns + s]);
            double e = 0;
            for (long r = 0; r < ns; r++) e += exp(al[r] + a[r * ns + s] - m);
            nx[s] = m + log(e) + bm[s * nv + o[t]];
        }
        double *tmp = al;
        al = nx;
        nx = tmp;
    }
    double m = -INFINITY;
    for (long s = 0; s < ns; s++) m = fmax(m, al[s]);
    double e = 0;
    for (long s = 0; s < ns; s++) e += exp(al[s] - m);
    free(al);
    free(nx);
    return -(m + log(e));
}

__attribute__((noinline)) void hmm_hand(long t_len, long ns, long nv, const int *restrict o, const double *restrict a,
                                        const double *restrict bm, const double *restrict pi, double *restrict ga,
                                        double *restrict gb, double *restrict gpi) {
    double *al = malloc(t_len * ns * sizeof(double));
    for (long s = 0; s < ns; s++) al[s] = pi[s] + bm[s * nv + o[0]];
    for (long t = 1; t < t_len; t++) {
        const double *p = al + (t - 1) * ns;
        double *q = al + t * ns;
        for (long s = 0; s < ns; s++) {
            double m = -INFINITY;
            for (long r = 0; r < ns; r++) m = fmax(m, p[r] + a[r * ns + s]);
            double e = 0;
            for (long r = 0; r < ns; r++) e += exp(p[r] + a[r * ns + s] - m);
            q[s] = m + log(e) + bm[s * nv + o[t]];
        }
    }
    double *ab = malloc(ns * sizeof(double)), *pb = malloc(ns * sizeof(double));
    const double *last = al + (t_len - 1) * ns;
    double m = -INFINITY;
    for (long s = 0; s < ns; s++) m = fmax(m, last[s]);
    double e = 0;
    for (long s = 0; s < ns; s++) e += exp(last[s] - m);
    double lse = m + log(e);
    for (long s = 0; s < ns; s++) ab[s] = -exp(last[s] - lse);
    for (long t = t_len - 1; t >= 1; t--) {
        const double *p = al + (t - 1) * ns, *q = al + t * ns;
        for (long r = 0; r < ns; r++) pb[r] = 0;
        for (long s = 0; s < ns; s++) {
            gb[s * nv + o[t]] += ab[s];
            double l = q[s] - bm[s * nv + o[t]];
            for (long r = 0; r < ns; r++) {
                double w = ab[s] * exp(p[r] + a[r * ns + s] - l);
                pb[r] += w;
                ga[r * ns + s] += w;
            }
        }
        double *tmp = ab;
        ab = pb;
        pb = tmp;
    }
    for (long s = 0; s < ns; s++) {
        gpi[s] += ab[s];
        gb[s * nv + o[0]] += ab[s];
    }
    free(al);
    free(ab);
    free(pb);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    T = nsizes > 0 ? sizes[0] : 2000;
    S = nsizes > 1 ? sizes[1] : 32;
    V = nsizes > 2 ? sizes[2] : 50;
    OBS = bench_xmalloc(sizeof(int) * T);
    for (long t = 0; t < T; t++) OBS[t] = (int)(bench_urand(501, t) * V);
    long np = S * S + S * V + S;
    X = bench_xmalloc(sizeof(double) * np);
    bench_fill(X, np, 502, -1, 1);
    info->nparams = np;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "T=%ld S=%ld V=%ld", T, S, V);
    info->size_metric = (double)T * S * S;
    info->fd_step = 1e-5;
    return 0;
}
double bench_primal(void) { return hmm_nll(T, S, V, OBS, X, X + S * S, X + S * S + S * V); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (S * S + S * V + S));
    __enzyme_autodiff((void *)hmm_nll, enzyme_const, T, enzyme_const, S, enzyme_const, V, enzyme_const, OBS,
                      enzyme_dup, X, g, enzyme_dup, X + S * S, g + S * S, enzyme_dup, X + S * S + S * V,
                      g + S * S + S * V);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (S * S + S * V + S));
    hmm_hand(T, S, V, OBS, X, X + S * S, X + S * S + S * V, g, g + S * S, g + S * S + S * V);
}
