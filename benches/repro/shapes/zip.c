/* zip: zero-inflated Poisson regression negative log-likelihood. Per row i two linear predictors
 * over the same features, the inflation logit a_i = c0 + u . x_i and the log rate eta_i = b0 + w . x_i
 * (mu_i = exp(eta_i), pi_i = sigmoid(a_i)); counts y_i fixed:
 *   y_i = 0: -log(pi_i + (1 - pi_i) exp(-mu_i))
 *   y_i > 0: -log(1 - pi_i) - y_i eta_i + mu_i + lgamma(y_i + 1)
 * written in the numerically stable form with log1p/exp of the logit. Plus 0.5 lambda (|w|^2 + |u|^2).
 * X (n x p) and y fixed. Params: w (p), b0, u (p), c0. Sizes: n p.
 * Hand adjoint: d/da, d/deta per row from the formulas, then gw += d_eta x_i, gu += d_a x_i. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "zip";
static long N, P;
static double *X, *XD, *YD;
static const double LAMBDA = 0.1;

/* log(1 + exp(t)), stable */
static inline double softplus(double t) { return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t)); }

__attribute__((noinline)) double zip_nll(long n, long p, const double *restrict x, const double *restrict y,
                                         const double *restrict w, const double *restrict u) {
    double b0 = w[p], c0 = u[p];
    double f = 0;
    for (long i = 0; i < n; i++) {
        const double *xi = x + i * p;
        double eta = b0, a = c0;
        for (long j = 0; j < p; j++) {
            eta += w[j] * xi[j];
            a += u[j] * xi[j];
        }
        double mu = exp(eta);
        if (y[i] == 0) {
            /* -log(pi + (1-pi) e^-mu) = softplus(a) - log(e^a + e^-mu) = softplus(a) - logaddexp(a, -mu) */
            double t = -mu;
            double hi = a > t ? a : t, lo = a > t ? t : a;
            f += softplus(a) - (hi + log1p(exp(lo - hi)));
        } else {
            /* -log(1-pi) = softplus(a) */
            f += softplus(a) - y[i] * eta + mu + lgamma(y[i] + 1);
        }
    }
    double r = 0;
    for (long j = 0; j < p; j++) r += w[j] * w[j] + u[j] * u[j];
    return f + 0.5 * LAMBDA * r;
}

__attribute__((noinline)) void zip_hand(long n, long p, const double *restrict x, const double *restrict y,
                                        const double *restrict w, const double *restrict u, double *restrict gw,
                                        double *restrict gu) {
    double b0 = w[p], c0 = u[p];
    double gb = 0, gc = 0;
    for (long i = 0; i < n; i++) {
        const double *xi = x + i * p;
        double eta = b0, a = c0;
        for (long j = 0; j < p; j++) {
            eta += w[j] * xi[j];
            a += u[j] * xi[j];
        }
        double mu = exp(eta);
        double sa = 1 / (1 + exp(-a)); /* d softplus(a) / da */
        double da, de;
        if (y[i] == 0) {
            /* d/da [-logaddexp(a, -mu)] = -e^a/(e^a + e^-mu) = -sigmoid(a + mu);
               d/dmu = +e^-mu/(e^a+e^-mu) = sigmoid(-(a + mu)); deta = dmu * mu */
            double s = 1 / (1 + exp(-(a + mu)));
            da = sa - s;
            de = (1 - s) * mu;
        } else {
            da = sa;
            de = mu - y[i];
        }
        gb += de;
        gc += da;
        for (long j = 0; j < p; j++) {
            gw[j] += de * xi[j];
            gu[j] += da * xi[j];
        }
    }
    for (long j = 0; j < p; j++) {
        gw[j] += LAMBDA * w[j];
        gu[j] += LAMBDA * u[j];
    }
    gw[p] += gb;
    gu[p] += gc;
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 100000;
    P = nsizes > 1 ? sizes[1] : 12;
    XD = bench_xmalloc(sizeof(double) * N * P);
    bench_fill(XD, N * P, 301, -1, 1);
    YD = bench_xmalloc(sizeof(double) * N);
    for (long i = 0; i < N; i++) {
        /* about 40% structural zeros, else a Poisson-ish count 0..6 */
        double r = bench_urand(302, i), s = bench_urand(303, i);
        YD[i] = r < 0.4 ? 0 : floor(7 * s * s);
    }
    long np = 2 * (P + 1);
    X = bench_xmalloc(sizeof(double) * np);
    bench_fill(X, np, 304, -0.3, 0.3);
    info->nparams = np;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld p=%ld", N, P);
    info->size_metric = (double)N * P;
    info->fd_step = 1e-6;
    return 0;
}
double bench_primal(void) { return zip_nll(N, P, XD, YD, X, X + P + 1); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 2 * (P + 1));
    __enzyme_autodiff((void *)zip_nll, enzyme_const, N, enzyme_const, P, enzyme_const, XD, enzyme_const, YD,
                      enzyme_dup, X, g, enzyme_dup, X + P + 1, g + P + 1);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 2 * (P + 1));
    zip_hand(N, P, XD, YD, X, X + P + 1, g, g + P + 1);
}
