/*
 * mlp_blas — the mlp benchmark (same objective, sizes, data and parameter
 * layout) written the way a C programmer uses BLAS: each layer is one
 * cblas_dgemm over the whole batch.
 *
 *   A1 = X W1^T (N x H), h = tanh(A1 + b1)
 *   Z  = h W2^T (N x C) + b2
 *   loss = (1/N) sum_n [ logsumexp(Z_n) - Z_n[label_n] ]
 * The hand-written adjoint is textbook backpropagation with three more
 * dgemm calls. Link with -lopenblas; run with OPENBLAS_NUM_THREADS=1.
 */
#include "bench.h"
#include <cblas.h>
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bench_name = "mlp_blas";

static long I_, H_, C_, N_;
static double *X;
static double *inputs;
static int *labels;

__attribute__((noinline)) double mlp_blas_objective(int ni, int nh, int nc, int nb, const double *w1,
                                                    const double *b1, const double *w2, const double *b2,
                                                    const double *x, const int *labels) {
    double *h = malloc(sizeof(double) * nb * nh);
    double *z = malloc(sizeof(double) * nb * nc);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, nh, ni, 1.0, x, ni, w1, ni, 0.0, h, nh);
    for (int n = 0; n < nb; n++)
        for (int j = 0; j < nh; j++) h[n * nh + j] = tanh(h[n * nh + j] + b1[j]);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, nc, nh, 1.0, h, nh, w2, nh, 0.0, z, nc);
    double loss = 0;
    for (int n = 0; n < nb; n++) {
        double *zn = z + n * nc;
        double mx = -INFINITY;
        for (int c = 0; c < nc; c++) {
            zn[c] += b2[c];
            if (zn[c] > mx) mx = zn[c];
        }
        double se = 0;
        for (int c = 0; c < nc; c++) se += exp(zn[c] - mx);
        loss += log(se) + mx - zn[labels[n]];
    }
    free(h);
    free(z);
    return loss / (double)nb;
}

__attribute__((noinline)) void mlp_blas_grad_hand(int ni, int nh, int nc, int nb, const double *w1,
                                                  const double *b1, const double *w2, const double *b2,
                                                  const double *x, const int *labels, double *dw1, double *db1,
                                                  double *dw2, double *db2) {
    double *h = malloc(sizeof(double) * nb * nh);
    double *dh = malloc(sizeof(double) * nb * nh);
    double *z = malloc(sizeof(double) * nb * nc);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, nh, ni, 1.0, x, ni, w1, ni, 0.0, h, nh);
    for (int n = 0; n < nb; n++)
        for (int j = 0; j < nh; j++) h[n * nh + j] = tanh(h[n * nh + j] + b1[j]);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, nc, nh, 1.0, h, nh, w2, nh, 0.0, z, nc);
    double inv = 1.0 / (double)nb;
    for (int n = 0; n < nb; n++) {
        double *zn = z + n * nc;
        double mx = -INFINITY;
        for (int c = 0; c < nc; c++) {
            zn[c] += b2[c];
            if (zn[c] > mx) mx = zn[c];
        }
        double se = 0;
        for (int c = 0; c < nc; c++) se += exp(zn[c] - mx);
        double lse = log(se) + mx;
        for (int c = 0; c < nc; c++) {
            zn[c] = inv * (exp(zn[c] - lse) - (c == labels[n])); /* dZ */
            db2[c] += zn[c];
        }
    }
    /* dW2 += dZ^T h, dh = dZ W2 */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nc, nh, nb, 1.0, z, nc, h, nh, 1.0, dw2, nh);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb, nh, nc, 1.0, z, nc, w2, nh, 0.0, dh, nh);
    for (int n = 0; n < nb; n++)
        for (int j = 0; j < nh; j++) {
            double hv = h[n * nh + j];
            double da = dh[n * nh + j] * (1 - hv * hv);
            dh[n * nh + j] = da;
            db1[j] += da;
        }
    /* dW1 += dA^T X */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nh, ni, nb, 1.0, dh, nh, x, ni, 1.0, dw1, ni);
    free(h);
    free(dh);
    free(z);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    I_ = nsizes > 0 ? sizes[0] : 784;
    H_ = nsizes > 1 ? sizes[1] : 128;
    C_ = nsizes > 2 ? sizes[2] : 10;
    N_ = nsizes > 3 ? sizes[3] : 64;
    if (I_ < 1 || H_ < 1 || C_ < 1 || N_ < 1) return 1;
    long n = H_ * I_ + H_ + C_ * H_ + C_;
    X = bench_xmalloc(sizeof(double) * n);
    inputs = bench_xmalloc(sizeof(double) * N_ * I_);
    labels = bench_xmalloc(sizeof(int) * N_);
    double s1 = 1.0 / sqrt((double)I_), s2 = 1.0 / sqrt((double)H_);
    bench_fill(X, H_ * I_, 61, -s1, s1);
    bench_fill(X + H_ * I_, H_, 62, -0.1, 0.1);
    bench_fill(X + H_ * I_ + H_, C_ * H_, 63, -s2, s2);
    bench_fill(X + H_ * I_ + H_ + C_ * H_, C_, 64, -0.1, 0.1);
    bench_fill(inputs, N_ * I_, 65, 0, 1);
    for (long k = 0; k < N_; k++) labels[k] = (int)(bench_mix64(66 * 1000003ULL + k) % (uint64_t)C_);
    info->nparams = n;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "in=%ld hidden=%ld classes=%ld batch=%ld", I_, H_, C_, N_);
    info->size_metric = (double)N_;
    info->fd_coords = 40;
    return 0;
}

double bench_primal(void) {
    long o1 = H_ * I_, o2 = o1 + H_, o3 = o2 + C_ * H_;
    return mlp_blas_objective(I_, H_, C_, N_, X, X + o1, X + o2, X + o3, inputs, labels);
}

void bench_grad_ferment(double *g) {
    long o1 = H_ * I_, o2 = o1 + H_, o3 = o2 + C_ * H_;
    memset(g, 0, sizeof(double) * (o3 + C_));
    __enzyme_autodiff((void *)mlp_blas_objective, enzyme_const, (int)I_, enzyme_const, (int)H_, enzyme_const,
                      (int)C_, enzyme_const, (int)N_, enzyme_dup, X, g, enzyme_dup, X + o1, g + o1, enzyme_dup,
                      X + o2, g + o2, enzyme_dup, X + o3, g + o3, enzyme_const, inputs, enzyme_const, labels);
}

void bench_grad_hand(double *g) {
    long o1 = H_ * I_, o2 = o1 + H_, o3 = o2 + C_ * H_;
    memset(g, 0, sizeof(double) * (o3 + C_));
    mlp_blas_grad_hand(I_, H_, C_, N_, X, X + o1, X + o2, X + o3, inputs, labels, g, g + o1, g + o2, g + o3);
}
