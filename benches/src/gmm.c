/*
 * gmm — Gaussian mixture model log-likelihood with a Wishart prior, in
 * ADBench's formulation (Srajer, Kukelova, Fitzgibbon 2018, "A benchmark of
 * selected algorithmic differentiation tools..."), written here from the math.
 *
 * Parameters (one flat vector, in this order):
 *   alphas[k]                  mixture weights (log-space, unnormalised)
 *   means[k][d]                component means
 *   icf[k][d + d(d-1)/2]       inverse-covariance factor Q_k: the first d
 *                              entries q are the log of its diagonal, the rest
 *                              the strictly-lower part L, column by column.
 * Constants: data x[n][d], Wishart gamma = 1, m = 0 (ADBench's values).
 *
 *   f = sum_i logsumexp_k( alpha_k + sum(q_k) - 0.5 |Q_k (x_i - mu_k)|^2 )
 *       - n logsumexp(alpha)
 *       + sum_k ( 0.5 gamma^2 (|exp(q_k)|^2 + |L_k|^2) - m sum(q_k) )
 * Additive constants (-n d/2 log 2pi and the Wishart normaliser) are left out:
 * they do not change the gradient.
 * Sizes: d k n.
 */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bench_name = "gmm";

#include "gmm_data.h"

/* ---------------- primal ---------------- */
static double logsumexp(long n, const double *x) {
    double mx = x[0];
    for (long i = 1; i < n; i++)
        if (x[i] > mx) mx = x[i];
    double s = 0;
    for (long i = 0; i < n; i++) s += exp(x[i] - mx);
    return log(s) + mx;
}

static double sqnorm(long n, const double *x) {
    double s = 0;
    for (long i = 0; i < n; i++) s += x[i] * x[i];
    return s;
}

/* out = Q x, Q lower triangular: diagonal qdiag, strictly-lower part l (column-major) */
static void qtimesx(long d, const double *qdiag, const double *l, const double *x, double *out) {
    for (long i = 0; i < d; i++) out[i] = qdiag[i] * x[i];
    long li = 0;
    for (long i = 0; i < d; i++)
        for (long j = i + 1; j < d; j++) out[j] += l[li++] * x[i];
}

__attribute__((noinline)) double gmm_objective(long d, long k, long n, const double *restrict alphas,
                                               const double *restrict means, const double *restrict icf,
                                               const double *restrict x, double gamma, int m) {
    long icf_sz = d * (d + 1) / 2;
    double *qdiags = malloc(sizeof(double) * d * k);
    double *sum_qs = malloc(sizeof(double) * k);
    double *xc = malloc(sizeof(double) * d);
    double *qxc = malloc(sizeof(double) * d);
    double *main_term = malloc(sizeof(double) * k);

    for (long ik = 0; ik < k; ik++) {
        sum_qs[ik] = 0;
        for (long id = 0; id < d; id++) {
            double q = icf[ik * icf_sz + id];
            sum_qs[ik] += q;
            qdiags[ik * d + id] = exp(q);
        }
    }
    double slse = 0;
    for (long ix = 0; ix < n; ix++) {
        for (long ik = 0; ik < k; ik++) {
            for (long id = 0; id < d; id++) xc[id] = x[ix * d + id] - means[ik * d + id];
            qtimesx(d, qdiags + ik * d, icf + ik * icf_sz + d, xc, qxc);
            main_term[ik] = alphas[ik] + sum_qs[ik] - 0.5 * sqnorm(d, qxc);
        }
        slse += logsumexp(k, main_term);
    }
    double lse_alphas = logsumexp(k, alphas);
    double prior = 0;
    for (long ik = 0; ik < k; ik++) {
        double frob = sqnorm(d, qdiags + ik * d) + sqnorm(icf_sz - d, icf + ik * icf_sz + d);
        prior += 0.5 * gamma * gamma * frob - m * sum_qs[ik];
    }
    free(qdiags);
    free(sum_qs);
    free(xc);
    free(qxc);
    free(main_term);
    return slse - (double)n * lse_alphas + prior;
}

/* ---------------- hand-written adjoint ---------------- */
__attribute__((noinline)) void gmm_grad_hand(long d, long k, long n, const double *restrict alphas,
                                             const double *restrict means, const double *restrict icf,
                                             const double *restrict x, double gamma, int m,
                                             double *restrict dalphas, double *restrict dmeans,
                                             double *restrict dicf) {
    long icf_sz = d * (d + 1) / 2;
    double *qdiags = malloc(sizeof(double) * d * k);
    double *sum_qs = malloc(sizeof(double) * k);
    double *xc = malloc(sizeof(double) * d * k);   /* per component, for this data point */
    double *qxc = malloc(sizeof(double) * d * k);
    double *main_term = malloc(sizeof(double) * k);
    double *dxc = malloc(sizeof(double) * d);

    for (long ik = 0; ik < k; ik++) {
        sum_qs[ik] = 0;
        for (long id = 0; id < d; id++) {
            double q = icf[ik * icf_sz + id];
            sum_qs[ik] += q;
            qdiags[ik * d + id] = exp(q);
        }
    }
    for (long ix = 0; ix < n; ix++) {
        const double *xi = x + ix * d;
        double mx = -INFINITY;
        for (long ik = 0; ik < k; ik++) {
            double *c = xc + ik * d, *y = qxc + ik * d;
            for (long id = 0; id < d; id++) c[id] = xi[id] - means[ik * d + id];
            qtimesx(d, qdiags + ik * d, icf + ik * icf_sz + d, c, y);
            main_term[ik] = alphas[ik] + sum_qs[ik] - 0.5 * sqnorm(d, y);
            if (main_term[ik] > mx) mx = main_term[ik];
        }
        double s = 0;
        for (long ik = 0; ik < k; ik++) s += exp(main_term[ik] - mx);
        double lse = log(s) + mx;
        for (long ik = 0; ik < k; ik++) {
            double wk = exp(main_term[ik] - lse); /* d f / d main_term[ik] */
            const double *c = xc + ik * d, *y = qxc + ik * d, *qd = qdiags + ik * d;
            const double *l = icf + ik * icf_sz + d;
            double *dq = dicf + ik * icf_sz, *dl = dq + d;
            dalphas[ik] += wk;
            /* main = alpha + sum(q) - 0.5 |y|^2, y = Q c:  dy = -wk y */
            for (long id = 0; id < d; id++) {
                double dy = -wk * y[id];
                dq[id] += wk + dy * qd[id] * c[id];
                dxc[id] = dy * qd[id];
            }
            long li = 0;
            for (long i = 0; i < d; i++)
                for (long j = i + 1; j < d; j++) {
                    double dy = -wk * y[j];
                    dl[li] += dy * c[i];
                    dxc[i] += dy * l[li];
                    li++;
                }
            for (long id = 0; id < d; id++) dmeans[ik * d + id] -= dxc[id];
        }
    }
    /* - n logsumexp(alphas) */
    double lse_a = logsumexp(k, alphas);
    for (long ik = 0; ik < k; ik++) dalphas[ik] -= (double)n * exp(alphas[ik] - lse_a);
    /* prior: 0.5 gamma^2 (sum exp(q)^2 + sum l^2) - m sum q */
    for (long ik = 0; ik < k; ik++) {
        double *dq = dicf + ik * icf_sz;
        for (long id = 0; id < d; id++) {
            double e = qdiags[ik * d + id];
            dq[id] += gamma * gamma * e * e - m;
        }
        for (long li = d; li < icf_sz; li++) dq[li] += gamma * gamma * icf[ik * icf_sz + li];
    }
    free(qdiags);
    free(sum_qs);
    free(xc);
    free(qxc);
    free(main_term);
    free(dxc);
}

/* ---------------- bench interface (data and bench_init: gmm_data.h) ---------------- */
double bench_primal(void) {
    return gmm_objective(D, K, Nn, X, X + K, X + K + K * D, data, GAMMA, WM);
}

void bench_grad_ferment(double *g) {
    long np = K + K * D + K * D * (D + 1) / 2;
    memset(g, 0, sizeof(double) * np);
    __enzyme_autodiff((void *)gmm_objective, enzyme_const, D, enzyme_const, K, enzyme_const, Nn,
                      enzyme_dup, X, g, enzyme_dup, X + K, g + K, enzyme_dup, X + K + K * D, g + K + K * D,
                      enzyme_const, data, enzyme_const, GAMMA, enzyme_const, WM);
}

void bench_grad_hand(double *g) {
    long np = K + K * D + K * D * (D + 1) / 2;
    memset(g, 0, sizeof(double) * np);
    gmm_grad_hand(D, K, Nn, X, X + K, X + K + K * D, data, GAMMA, WM, g, g + K, g + K + K * D);
}
