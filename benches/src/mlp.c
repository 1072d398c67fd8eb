/*
 * mlp — a two-layer perceptron with softmax cross-entropy over a batch.
 *
 *   h = tanh(W1 x + b1)      (W1: H x I)
 *   z = W2 h + b2            (W2: C x H)
 *   loss = (1/N) sum_n [ logsumexp(z_n) - z_n[label_n] ]
 * Parameters (flat): W1[H][I], b1[H], W2[C][H], b2[C].
 * Constants: inputs x[N][I], labels[N]. Sizes: I H C N.
 * Plain loops (no BLAS) in all C variants; the hand-written adjoint is the
 * textbook backpropagation, sample by sample.
 */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bench_name = "mlp";

static long I_, H_, C_, N_;
static double *X;
static double *inputs;
static int *labels;

__attribute__((noinline)) double mlp_objective(long ni, long nh, long nc, long nb, const double *restrict w1,
                                               const double *restrict b1, const double *restrict w2,
                                               const double *restrict b2, const double *restrict x,
                                               const int *restrict labels) {
    double *h = malloc(sizeof(double) * nh);
    double *z = malloc(sizeof(double) * nc);
    double loss = 0;
    for (long n = 0; n < nb; n++) {
        const double *xn = x + n * ni;
        for (long j = 0; j < nh; j++) {
            double a = b1[j];
            for (long i = 0; i < ni; i++) a += w1[j * ni + i] * xn[i];
            h[j] = tanh(a);
        }
        double mx = -INFINITY;
        for (long c = 0; c < nc; c++) {
            double a = b2[c];
            for (long j = 0; j < nh; j++) a += w2[c * nh + j] * h[j];
            z[c] = a;
            if (a > mx) mx = a;
        }
        double se = 0;
        for (long c = 0; c < nc; c++) se += exp(z[c] - mx);
        loss += log(se) + mx - z[labels[n]];
    }
    free(h);
    free(z);
    return loss / (double)nb;
}

__attribute__((noinline)) void mlp_grad_hand(long ni, long nh, long nc, long nb, const double *restrict w1,
                                             const double *restrict b1, const double *restrict w2,
                                             const double *restrict b2, const double *restrict x,
                                             const int *restrict labels, double *restrict dw1,
                                             double *restrict db1, double *restrict dw2, double *restrict db2) {
    double *h = malloc(sizeof(double) * nh);
    double *dh = malloc(sizeof(double) * nh);
    double *z = malloc(sizeof(double) * nc);
    double inv = 1.0 / (double)nb;
    for (long n = 0; n < nb; n++) {
        const double *xn = x + n * ni;
        for (long j = 0; j < nh; j++) {
            double a = b1[j];
            for (long i = 0; i < ni; i++) a += w1[j * ni + i] * xn[i];
            h[j] = tanh(a);
        }
        double mx = -INFINITY;
        for (long c = 0; c < nc; c++) {
            double a = b2[c];
            for (long j = 0; j < nh; j++) a += w2[c * nh + j] * h[j];
            z[c] = a;
            if (a > mx) mx = a;
        }
        double se = 0;
        for (long c = 0; c < nc; c++) se += exp(z[c] - mx);
        double lse = log(se) + mx;
        for (long j = 0; j < nh; j++) dh[j] = 0;
        for (long c = 0; c < nc; c++) {
            double dz = inv * (exp(z[c] - lse) - (c == labels[n]));
            db2[c] += dz;
            for (long j = 0; j < nh; j++) {
                dw2[c * nh + j] += dz * h[j];
                dh[j] += dz * w2[c * nh + j];
            }
        }
        for (long j = 0; j < nh; j++) {
            double da = dh[j] * (1 - h[j] * h[j]);
            db1[j] += da;
            for (long i = 0; i < ni; i++) dw1[j * ni + i] += da * xn[i];
        }
    }
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
    return mlp_objective(I_, H_, C_, N_, X, X + o1, X + o2, X + o3, inputs, labels);
}

void bench_grad_ferment(double *g) {
    long o1 = H_ * I_, o2 = o1 + H_, o3 = o2 + C_ * H_;
    memset(g, 0, sizeof(double) * (o3 + C_));
    __enzyme_autodiff((void *)mlp_objective, enzyme_const, I_, enzyme_const, H_, enzyme_const, C_, enzyme_const, N_,
                      enzyme_dup, X, g, enzyme_dup, X + o1, g + o1, enzyme_dup, X + o2, g + o2, enzyme_dup, X + o3,
                      g + o3, enzyme_const, inputs, enzyme_const, labels);
}

void bench_grad_hand(double *g) {
    long o1 = H_ * I_, o2 = o1 + H_, o3 = o2 + C_ * H_;
    memset(g, 0, sizeof(double) * (o3 + C_));
    mlp_grad_hand(I_, H_, C_, N_, X, X + o1, X + o2, X + o3, inputs, labels, g, g + o1, g + o2, g + o3);
}
