/*
 * gmm_blas — the gmm benchmark (same objective, parameter layout, sizes and
 * data) written the way a C programmer uses BLAS: each mixture component is
 * one matrix product over all data points.
 *
 * For component k: Q_k is the dense d x d lower-triangular inverse-covariance
 * factor (exp(q) on the diagonal, L below it, column by column, zeros above);
 * Xc = X - 1 mu_k^T (n x d); Y = Xc Q_k^T (one cblas_dgemm, n x d);
 * M[i][k] = alpha_k + sum(q_k) - 0.5 |Y_i|^2. Then
 *   f = sum_i logsumexp_k M[i][k] - n logsumexp(alpha) + Wishart prior.
 * The hand-written adjoint keeps Y and Q for every component and uses two
 * more products per component: dQ = dY^T Xc (cblas_dgemm), dmu = -(1^T dY) Q
 * (cblas_dgemv). Link with -lopenblas; run with OPENBLAS_NUM_THREADS=1.
 */
#include "bench.h"
#include <cblas.h>
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bench_name = "gmm_blas";

#include "gmm_data.h"

/* the dense factor Q (d x d, row-major) from icf: exp(q) on the diagonal, L below */
static void dense_factor(long d, const double *icf, double *q) {
    for (long i = 0; i < d * d; i++) q[i] = 0;
    for (long i = 0; i < d; i++) q[i * d + i] = exp(icf[i]);
    long li = d;
    for (long i = 0; i < d; i++)
        for (long j = i + 1; j < d; j++) q[j * d + i] = icf[li++];
}

static double row_logsumexp(long n, const double *x) {
    double mx = x[0];
    for (long i = 1; i < n; i++)
        if (x[i] > mx) mx = x[i];
    double s = 0;
    for (long i = 0; i < n; i++) s += exp(x[i] - mx);
    return log(s) + mx;
}

__attribute__((noinline)) double gmm_blas_objective(int d, int k, int n, const double *alphas, const double *means,
                                                    const double *icf, const double *x, double gamma, int m) {
    long icf_sz = (long)d * (d + 1) / 2;
    double *q = malloc(sizeof(double) * d * d);
    double *xc = malloc(sizeof(double) * n * d);
    double *y = malloc(sizeof(double) * n * d);
    double *main_term = malloc(sizeof(double) * n * k);
    double prior = 0;
    for (int ik = 0; ik < k; ik++) {
        const double *qk = icf + ik * icf_sz;
        dense_factor(d, qk, q);
        double sum_q = 0, frob = 0;
        for (int id = 0; id < d; id++) {
            sum_q += qk[id];
            frob += q[id * d + id] * q[id * d + id];
        }
        for (long li = d; li < icf_sz; li++) frob += qk[li] * qk[li];
        prior += 0.5 * gamma * gamma * frob - m * sum_q;
        for (int i = 0; i < n; i++)
            for (int id = 0; id < d; id++) xc[i * d + id] = x[i * d + id] - means[ik * d + id];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, 1.0, xc, d, q, d, 0.0, y, d);
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int id = 0; id < d; id++) s += y[i * d + id] * y[i * d + id];
            main_term[i * k + ik] = alphas[ik] + sum_q - 0.5 * s;
        }
    }
    double slse = 0;
    for (int i = 0; i < n; i++) slse += row_logsumexp(k, main_term + i * k);
    double lse_alphas = row_logsumexp(k, alphas);
    free(q);
    free(xc);
    free(y);
    free(main_term);
    return slse - (double)n * lse_alphas + prior;
}

__attribute__((noinline)) void gmm_blas_grad_hand(int d, int k, int n, const double *alphas, const double *means,
                                                  const double *icf, const double *x, double gamma, int m,
                                                  double *dalphas, double *dmeans, double *dicf) {
    long icf_sz = (long)d * (d + 1) / 2;
    double *q = malloc(sizeof(double) * k * d * d); /* every component's factor */
    double *y = malloc(sizeof(double) * k * n * d); /* every component's Y, then dY */
    double *xc = malloc(sizeof(double) * n * d);
    double *dq = malloc(sizeof(double) * d * d);
    double *colsum = malloc(sizeof(double) * d);
    double *main_term = malloc(sizeof(double) * n * k);
    for (int ik = 0; ik < k; ik++) {
        const double *qk = icf + ik * icf_sz;
        double *qd = q + (long)ik * d * d, *yk = y + (long)ik * n * d;
        dense_factor(d, qk, qd);
        double sum_q = 0;
        for (int id = 0; id < d; id++) sum_q += qk[id];
        for (int i = 0; i < n; i++)
            for (int id = 0; id < d; id++) xc[i * d + id] = x[i * d + id] - means[ik * d + id];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, d, 1.0, xc, d, qd, d, 0.0, yk, d);
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int id = 0; id < d; id++) s += yk[i * d + id] * yk[i * d + id];
            main_term[i * k + ik] = alphas[ik] + sum_q - 0.5 * s;
        }
    }
    /* main_term becomes W = d f / d M: the softmax of each row */
    for (int i = 0; i < n; i++) {
        double *row = main_term + i * k;
        double lse = row_logsumexp(k, row);
        for (int ik = 0; ik < k; ik++) row[ik] = exp(row[ik] - lse);
    }
    for (int ik = 0; ik < k; ik++) {
        const double *qk = icf + ik * icf_sz, *qd = q + (long)ik * d * d;
        double *yk = y + (long)ik * n * d, *dqk = dicf + ik * icf_sz;
        double wsum = 0;
        for (int id = 0; id < d; id++) colsum[id] = 0;
        for (int i = 0; i < n; i++) { /* dY = -w Y */
            double w = main_term[i * k + ik];
            wsum += w;
            for (int id = 0; id < d; id++) {
                double v = -w * yk[i * d + id];
                yk[i * d + id] = v;
                colsum[id] += v;
            }
        }
        dalphas[ik] += wsum;
        for (int i = 0; i < n; i++)
            for (int id = 0; id < d; id++) xc[i * d + id] = x[i * d + id] - means[ik * d + id];
        /* dQ = dY^T Xc; dmu = -(1^T dY) Q */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, n, 1.0, yk, d, xc, d, 0.0, dq, d);
        cblas_dgemv(CblasRowMajor, CblasTrans, d, d, -1.0, qd, d, colsum, 1, 1.0, dmeans + ik * d, 1);
        for (int id = 0; id < d; id++) {
            double e = qd[id * d + id];
            dqk[id] += wsum + dq[id * d + id] * e + gamma * gamma * e * e - m;
        }
        long li = d;
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j < d; j++, li++) dqk[li] += dq[j * d + i] + gamma * gamma * qk[li];
    }
    double lse_a = row_logsumexp(k, alphas);
    for (int ik = 0; ik < k; ik++) dalphas[ik] -= (double)n * exp(alphas[ik] - lse_a);
    free(q);
    free(y);
    free(xc);
    free(dq);
    free(colsum);
    free(main_term);
}

/* ---------------- bench interface (data and bench_init: gmm_data.h) ---------------- */
double bench_primal(void) {
    return gmm_blas_objective((int)D, (int)K, (int)Nn, X, X + K, X + K + K * D, data, GAMMA, WM);
}

void bench_grad_ferment(double *g) {
    long np = K + K * D + K * D * (D + 1) / 2;
    memset(g, 0, sizeof(double) * np);
    __enzyme_autodiff((void *)gmm_blas_objective, enzyme_const, (int)D, enzyme_const, (int)K, enzyme_const,
                      (int)Nn, enzyme_dup, X, g, enzyme_dup, X + K, g + K, enzyme_dup, X + K + K * D,
                      g + K + K * D, enzyme_const, data, enzyme_const, GAMMA, enzyme_const, WM);
}

void bench_grad_hand(double *g) {
    long np = K + K * D + K * D * (D + 1) / 2;
    memset(g, 0, sizeof(double) * np);
    gmm_blas_grad_hand((int)D, (int)K, (int)Nn, X, X + K, X + K + K * D, data, GAMMA, WM, g, g + K,
                       g + K + K * D);
}
