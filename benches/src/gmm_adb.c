/*
 * gmm_adb — the GMM objective of gmm.c written a second time, the way the
 * ADBench C sources are written (issue 19: our own gmm.c was tuned with the
 * plugin, so it does not tell whether that tuning generalizes): `int`
 * indices, small external helper functions (arr_max, sqnorm, subtract,
 * log_sum_exp, preprocess_qs, Qtimesx, log_gamma_distrib, log_wishart_prior),
 * scratch buffers allocated once and rewritten for every data point, the
 * objective returned through an output pointer, and the constant terms
 * (-n d/2 log 2pi and the Wishart normaliser with lgamma) kept in.
 * Written here from the math (Srajer, Kukelova, Fitzgibbon 2018, appendix).
 *
 * Parameters (one flat vector): alphas[k], means[k][d], icf[k][d(d+1)/2]
 * (per component: d log-diagonal entries of Q, then its strictly-lower part
 * column by column). Data x[n][d]; Wishart gamma = 1, m = 0.
 *   err = -n d/2 log(2 pi) + sum_i lse_k(alpha_k + sum(q_k) - 0.5 |Q_k (x_i - mu_k)|^2)
 *         - n lse(alpha) + sum_k (0.5 gamma^2 (|exp q_k|^2 + |L_k|^2) - m sum(q_k)) - k C
 * Hand-written adjoint: one pass over the data; per point, the k centred
 * points and their Q products are kept (k*d scratch each), then the softmax
 * weights scale the reverse of Qtimesx.
 * Sizes: d k n (the data: gmm_data.h, shared with gmm.c).
 */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bench_name = "gmm_adb";

#include "gmm_data.h"

/* ---------------- primal, ADBench style ---------------- */
double arr_max(int n, const double *x) {
    double m = x[0];
    for (int i = 1; i < n; i++)
        if (m < x[i]) m = x[i];
    return m;
}

double sqnorm(int n, const double *x) {
    double res = x[0] * x[0];
    for (int i = 1; i < n; i++) res = res + x[i] * x[i];
    return res;
}

void subtract(int d, const double *x, const double *y, double *out) {
    for (int id = 0; id < d; id++) out[id] = x[id] - y[id];
}

double log_sum_exp(int n, const double *x) {
    double mx = arr_max(n, x);
    double semx = 0.;
    for (int i = 0; i < n; i++) semx = semx + exp(x[i] - mx);
    return log(semx) + mx;
}

/* log of the multivariate gamma function Gamma_p(a) */
double log_gamma_distrib(double a, double p) {
    double out = 0.25 * p * (p - 1) * log(M_PI);
    for (int j = 1; j <= p; j++) out = out + lgamma(a + 0.5 * (1 - j));
    return out;
}

double log_wishart_prior(int p, int k, double wgamma, int wm, const double *sum_qs, const double *Qdiags,
                         const double *icf) {
    int icf_sz = p * (p + 1) / 2;
    int n = p + wm + 1;
    double C = n * p * (log(wgamma) - 0.5 * log(2)) - log_gamma_distrib(0.5 * n, p);
    double out = 0;
    for (int ik = 0; ik < k; ik++) {
        double frobenius = sqnorm(p, &Qdiags[ik * p]) + sqnorm(icf_sz - p, &icf[ik * icf_sz + p]);
        out = out + 0.5 * wgamma * wgamma * frobenius - wm * sum_qs[ik];
    }
    return out - k * C;
}

void preprocess_qs(int d, int k, const double *icf, double *sum_qs, double *Qdiags) {
    int icf_sz = d * (d + 1) / 2;
    for (int ik = 0; ik < k; ik++) {
        sum_qs[ik] = 0.;
        for (int id = 0; id < d; id++) {
            double q = icf[ik * icf_sz + id];
            sum_qs[ik] = sum_qs[ik] + q;
            Qdiags[ik * d + id] = exp(q);
        }
    }
}

/* out = Q x; Q lower triangular with diagonal Qdiag and strictly-lower part ltri (by columns) */
void Qtimesx(int d, const double *Qdiag, const double *ltri, const double *x, double *out) {
    for (int id = 0; id < d; id++) out[id] = Qdiag[id] * x[id];
    int Lparamsidx = 0;
    for (int i = 0; i < d; i++)
        for (int j = i + 1; j < d; j++) {
            out[j] = out[j] + ltri[Lparamsidx] * x[i];
            Lparamsidx++;
        }
}

__attribute__((noinline)) void gmm_objective(int d, int k, int n, const double *alphas, const double *means,
                                             const double *icf, const double *x, double wgamma, int wm,
                                             double *err) {
    const double CONSTANT = -n * d * 0.5 * log(2 * M_PI);
    int icf_sz = d * (d + 1) / 2;
    double *Qdiags = malloc(d * k * sizeof(double));
    double *sum_qs = malloc(k * sizeof(double));
    double *xcentered = malloc(d * sizeof(double));
    double *Qxcentered = malloc(d * sizeof(double));
    double *main_term = malloc(k * sizeof(double));

    preprocess_qs(d, k, icf, sum_qs, Qdiags);

    double slse = 0.;
    for (int ix = 0; ix < n; ix++) {
        for (int ik = 0; ik < k; ik++) {
            subtract(d, &x[ix * d], &means[ik * d], xcentered);
            Qtimesx(d, &Qdiags[ik * d], &icf[ik * icf_sz + d], xcentered, Qxcentered);
            main_term[ik] = alphas[ik] + sum_qs[ik] - 0.5 * sqnorm(d, Qxcentered);
        }
        slse = slse + log_sum_exp(k, main_term);
    }
    double lse_alphas = log_sum_exp(k, alphas);
    *err = CONSTANT + slse - n * lse_alphas + log_wishart_prior(d, k, wgamma, wm, sum_qs, Qdiags, icf);

    free(Qdiags);
    free(sum_qs);
    free(xcentered);
    free(Qxcentered);
    free(main_term);
}

/* ---------------- hand-written adjoint (accumulates into the d* arrays) ---------------- */
__attribute__((noinline)) void gmm_adjoint_hand(int d, int k, int n, const double *alphas, const double *means,
                                                const double *icf, const double *x, double wgamma, int wm,
                                                double derr, double *dalphas, double *dmeans, double *dicf) {
    int icf_sz = d * (d + 1) / 2;
    double *Qdiags = malloc(d * k * sizeof(double));
    double *sum_qs = malloc(k * sizeof(double));
    double *xc = malloc(d * k * sizeof(double)); /* x_i - mu_k, all k, for the current point */
    double *y = malloc(d * k * sizeof(double));  /* Q_k (x_i - mu_k) */
    double *mt = malloc(k * sizeof(double));
    double *dxc = malloc(d * sizeof(double));
    preprocess_qs(d, k, icf, sum_qs, Qdiags);

    for (int ix = 0; ix < n; ix++) {
        for (int ik = 0; ik < k; ik++) {
            subtract(d, &x[ix * d], &means[ik * d], &xc[ik * d]);
            Qtimesx(d, &Qdiags[ik * d], &icf[ik * icf_sz + d], &xc[ik * d], &y[ik * d]);
            mt[ik] = alphas[ik] + sum_qs[ik] - 0.5 * sqnorm(d, &y[ik * d]);
        }
        double lse = log_sum_exp(k, mt);
        for (int ik = 0; ik < k; ik++) {
            double w = derr * exp(mt[ik] - lse); /* d err / d main_term[ik] */
            const double *c = &xc[ik * d], *yk = &y[ik * d], *qd = &Qdiags[ik * d];
            const double *L = &icf[ik * icf_sz + d];
            double *dq = &dicf[ik * icf_sz], *dL = dq + d;
            dalphas[ik] += w;
            /* d/dy of -0.5 w |y|^2 is -w y */
            for (int id = 0; id < d; id++) {
                double dy = -w * yk[id];
                dq[id] += w + dy * c[id] * qd[id]; /* sum_qs term, and d exp(q) = exp(q) dq */
                dxc[id] = dy * qd[id];
            }
            int li = 0;
            for (int i = 0; i < d; i++) {
                double acc = 0;
                double ci = c[i];
                for (int j = i + 1; j < d; j++) {
                    double dy = -w * yk[j];
                    dL[li] += dy * ci;
                    acc += dy * L[li];
                    li++;
                }
                dxc[i] += acc;
            }
            for (int id = 0; id < d; id++) dmeans[ik * d + id] -= dxc[id];
        }
    }
    /* -n lse(alphas) */
    double lse_a = log_sum_exp(k, alphas);
    for (int ik = 0; ik < k; ik++) dalphas[ik] -= derr * n * exp(alphas[ik] - lse_a);
    /* prior: 0.5 gamma^2 (|exp q|^2 + |L|^2) - m sum q; constants drop out */
    for (int ik = 0; ik < k; ik++) {
        double *dq = &dicf[ik * icf_sz];
        for (int id = 0; id < d; id++) {
            double e = Qdiags[ik * d + id];
            dq[id] += derr * (wgamma * wgamma * e * e - wm);
        }
        for (int li = d; li < icf_sz; li++) dq[li] += derr * wgamma * wgamma * icf[ik * icf_sz + li];
    }
    free(Qdiags);
    free(sum_qs);
    free(xc);
    free(y);
    free(mt);
    free(dxc);
}

/* ---------------- bench interface (data and bench_init: gmm_data.h) ---------------- */
double bench_primal(void) {
    double err;
    gmm_objective((int)D, (int)K, (int)Nn, X, X + K, X + K + K * D, data, GAMMA, WM, &err);
    return err;
}

void bench_grad_ferment(double *g) {
    long np = K + K * D + K * D * (D + 1) / 2;
    memset(g, 0, sizeof(double) * np);
    double err, derr = 1.0;
    __enzyme_autodiff((void *)gmm_objective, enzyme_const, (int)D, enzyme_const, (int)K, enzyme_const, (int)Nn,
                      enzyme_dup, X, g, enzyme_dup, X + K, g + K, enzyme_dup, X + K + K * D, g + K + K * D,
                      enzyme_const, data, enzyme_const, GAMMA, enzyme_const, WM, enzyme_dup, &err, &derr);
}

void bench_grad_hand(double *g) {
    long np = K + K * D + K * D * (D + 1) / 2;
    memset(g, 0, sizeof(double) * np);
    gmm_adjoint_hand((int)D, (int)K, (int)Nn, X, X + K, X + K + K * D, data, GAMMA, WM, 1.0, g, g + K,
                     g + K + K * D);
}
