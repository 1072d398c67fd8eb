/* cnn: a small image classifier on a batch: 3x3 "valid" convolution (C = 3 input channels, F = 8
 * filters, bias), ReLU, 2x2 max pooling (`if (v > m)` over the window), a dense layer to 10 classes
 * and softmax cross-entropy (max-shifted log-sum-exp) against integer labels, averaged over the
 * batch. Images 32x32 in [-1, 1], fixed. Params: conv weights (F*C*9), conv bias (F), dense
 * weights (10 x F*15*15), dense bias (10). Sizes: B (batch).
 * Hand adjoint: per image, the forward pass keeps the pooled features and each window's winning
 * position; dz = softmax - onehot; dense grads; dfeat = W^T dz routed to the winner (its ReLU was
 * open when the feature is > 0); conv grads by the window sums. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "cnn";
#define C 3
#define F 8
#define H 32
#define HO 30
#define HP 15
#define NF (F * HP * HP)
#define NC 10
static long B;
static double *X, *IMG;
static int *LAB;

__attribute__((noinline)) double cnn(long nb, const double *restrict img, const int *restrict lab,
                                     const double *restrict wc, const double *restrict bc,
                                     const double *restrict wd, const double *restrict bd) {
    double *conv = malloc(sizeof(double) * F * HO * HO), *feat = malloc(sizeof(double) * NF);
    double loss = 0;
    for (long b = 0; b < nb; b++) {
        const double *im = img + b * C * H * H;
        for (int o = 0; o < F; o++)
            for (int y = 0; y < HO; y++)
                for (int x = 0; x < HO; x++) {
                    double a = bc[o];
                    for (int c = 0; c < C; c++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++)
                                a += wc[((o * C + c) * 3 + ky) * 3 + kx] * im[(c * H + y + ky) * H + x + kx];
                    conv[(o * HO + y) * HO + x] = a > 0 ? a : 0;
                }
        for (int o = 0; o < F; o++)
            for (int y = 0; y < HP; y++)
                for (int x = 0; x < HP; x++) {
                    double m = conv[(o * HO + 2 * y) * HO + 2 * x];
                    for (int dy = 0; dy < 2; dy++)
                        for (int dx = 0; dx < 2; dx++) {
                            double v = conv[(o * HO + 2 * y + dy) * HO + 2 * x + dx];
                            if (v > m) m = v;
                        }
                    feat[(o * HP + y) * HP + x] = m;
                }
        double z[NC], zm = -INFINITY;
        for (int k = 0; k < NC; k++) {
            double s = bd[k];
            for (int j = 0; j < NF; j++) s += wd[k * NF + j] * feat[j];
            z[k] = s;
            if (s > zm) zm = s;
        }
        double se = 0;
        for (int k = 0; k < NC; k++) se += exp(z[k] - zm);
        loss += zm + log(se) - z[lab[b]];
    }
    free(conv);
    free(feat);
    return loss / nb;
}

__attribute__((noinline)) void cnn_hand(long nb, const double *restrict img, const int *restrict lab,
                                        const double *restrict wc, const double *restrict bc,
                                        const double *restrict wd, const double *restrict bd, double *restrict gwc,
                                        double *restrict gbc, double *restrict gwd, double *restrict gbd) {
    double *feat = malloc(sizeof(double) * NF), *dfeat = malloc(sizeof(double) * NF);
    int *win = malloc(sizeof(int) * NF);
    for (long b = 0; b < nb; b++) {
        const double *im = img + b * C * H * H;
        for (int o = 0; o < F; o++)
            for (int y = 0; y < HP; y++)
                for (int x = 0; x < HP; x++) {
                    double m = -INFINITY;
                    int arg = 0;
                    for (int dy = 0; dy < 2; dy++)
                        for (int dx = 0; dx < 2; dx++) {
                            int yy = 2 * y + dy, xx = 2 * x + dx;
                            double a = bc[o];
                            for (int c = 0; c < C; c++)
                                for (int ky = 0; ky < 3; ky++)
                                    for (int kx = 0; kx < 3; kx++)
                                        a += wc[((o * C + c) * 3 + ky) * 3 + kx] * im[(c * H + yy + ky) * H + xx + kx];
                            a = a > 0 ? a : 0;
                            if (a > m) {
                                m = a;
                                arg = yy * HO + xx;
                            }
                        }
                    feat[(o * HP + y) * HP + x] = m;
                    win[(o * HP + y) * HP + x] = arg;
                }
        double z[NC], zm = -INFINITY;
        for (int k = 0; k < NC; k++) {
            double s = bd[k];
            for (int j = 0; j < NF; j++) s += wd[k * NF + j] * feat[j];
            z[k] = s;
            if (s > zm) zm = s;
        }
        double se = 0;
        for (int k = 0; k < NC; k++) se += exp(z[k] - zm);
        memset(dfeat, 0, sizeof(double) * NF);
        for (int k = 0; k < NC; k++) {
            double dz = (exp(z[k] - zm) / se - (k == lab[b])) / nb;
            gbd[k] += dz;
            for (int j = 0; j < NF; j++) {
                gwd[k * NF + j] += dz * feat[j];
                dfeat[j] += dz * wd[k * NF + j];
            }
        }
        for (int o = 0; o < F; o++)
            for (int q = 0; q < HP * HP; q++) {
                int j = o * HP * HP + q;
                if (!(feat[j] > 0)) continue;
                double d = dfeat[j];
                int yy = win[j] / HO, xx = win[j] % HO;
                gbc[o] += d;
                for (int c = 0; c < C; c++)
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++)
                            gwc[((o * C + c) * 3 + ky) * 3 + kx] += d * im[(c * H + yy + ky) * H + xx + kx];
            }
    }
    free(feat);
    free(dfeat);
    free(win);
}

#define NP (F * C * 9 + F + NC * NF + NC)
int bench_init(int nsizes, const long *sizes, bench_info *info) {
    B = nsizes > 0 ? sizes[0] : 32;
    IMG = bench_xmalloc(sizeof(double) * B * C * H * H);
    bench_fill(IMG, B * C * H * H, 601, -1, 1);
    LAB = bench_xmalloc(sizeof(int) * B);
    for (long b = 0; b < B; b++) LAB[b] = (int)(bench_urand(602, b) * NC);
    X = bench_xmalloc(sizeof(double) * NP);
    bench_fill(X, F * C * 9, 603, -0.3, 0.3);
    bench_fill(X + F * C * 9, F, 604, -0.1, 0.1);
    bench_fill(X + F * C * 9 + F, NC * NF, 605, -0.05, 0.05);
    bench_fill(X + F * C * 9 + F + NC * NF, NC, 606, -0.1, 0.1);
    info->nparams = NP;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "B=%ld", B);
    info->size_metric = (double)B;
    return 0;
}
double bench_primal(void) {
    return cnn(B, IMG, LAB, X, X + F * C * 9, X + F * C * 9 + F, X + F * C * 9 + F + NC * NF);
}
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * NP);
    long o1 = F * C * 9, o2 = o1 + F, o3 = o2 + NC * NF;
    __enzyme_autodiff((void *)cnn, enzyme_const, B, enzyme_const, IMG, enzyme_const, LAB, enzyme_dup, X, g, enzyme_dup,
                      X + o1, g + o1, enzyme_dup, X + o2, g + o2, enzyme_dup, X + o3, g + o3);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * NP);
    long o1 = F * C * 9, o2 = o1 + F, o3 = o2 + NC * NF;
    cnn_hand(B, IMG, LAB, X, X + o1, X + o2, X + o3, g, g + o1, g + o2, g + o3);
}
