/*
 * conv2d — one convolution layer: 3 x 3 "valid" convolution of a C-channel H x H image with F
 * filters, plus a bias per filter, then ReLU; f = 0.5 sum over outputs of relu(a)^2.
 * Weights uniform in [-0.3, 0.3], biases in [-0.1, 0.1], pixels in [-1, 1] (about half the
 * outputs are cut by the ReLU).
 * Parameters: weights (F*C*9, [o][c][ky][kx]), biases (F), image (C*H*H). Sizes: C H F.
 * What it shows: a 6-deep loop nest with a short constant inner trip count (3), an
 * accumulation over a window, and a data-dependent branch per output.
 * Hand-written adjoint: per output, recompute a; where a > 0, bbar_o += a,
 * wbar[o][c][ky][kx] += a img[c][y+ky][x+kx], imgbar[c][y+ky][x+kx] += a w[o][c][ky][kx].
 */
#include "bench.h"
#include <ferment.h>
#include <stdio.h>
#include <string.h>
const char *bench_name = "conv2d";
static long C, H, F, NW, NP;
static double *X;

__attribute__((noinline)) double conv(long c, long h, long f, const double *restrict wt, const double *restrict bias,
                                      const double *restrict img) {
    long ho = h - 2, w = h;
    double s = 0;
    for (long o = 0; o < f; o++)
        for (long y = 0; y < ho; y++)
            for (long x = 0; x < ho; x++) {
                double a = bias[o];
                for (long ci = 0; ci < c; ci++)
                    for (long ky = 0; ky < 3; ky++)
                        for (long kx = 0; kx < 3; kx++)
                            a += wt[((o * c + ci) * 3 + ky) * 3 + kx] * img[(ci * h + y + ky) * w + x + kx];
                double r = a > 0 ? a : 0;
                s += r * r;
            }
    return 0.5 * s;
}

__attribute__((noinline)) void conv_hand(long c, long h, long f, const double *restrict wt,
                                         const double *restrict bias, const double *restrict img,
                                         double *restrict wb, double *restrict bb, double *restrict ib) {
    long ho = h - 2, w = h;
    for (long o = 0; o < f; o++)
        for (long y = 0; y < ho; y++)
            for (long x = 0; x < ho; x++) {
                double a = bias[o];
                for (long ci = 0; ci < c; ci++)
                    for (long ky = 0; ky < 3; ky++)
                        for (long kx = 0; kx < 3; kx++)
                            a += wt[((o * c + ci) * 3 + ky) * 3 + kx] * img[(ci * h + y + ky) * w + x + kx];
                if (a <= 0) continue;
                /* d(0.5 a^2)/da = a */
                bb[o] += a;
                for (long ci = 0; ci < c; ci++)
                    for (long ky = 0; ky < 3; ky++)
                        for (long kx = 0; kx < 3; kx++) {
                            long q = ((o * c + ci) * 3 + ky) * 3 + kx, p = (ci * h + y + ky) * w + x + kx;
                            wb[q] += a * img[p];
                            ib[p] += a * wt[q];
                        }
            }
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    C = nsizes > 0 ? sizes[0] : 4;
    H = nsizes > 1 ? sizes[1] : 64;
    F = nsizes > 2 ? sizes[2] : 8;
    NW = F * C * 9;
    NP = NW + F + C * H * H;
    X = bench_xmalloc(sizeof(double) * NP);
    bench_fill(X, NW, 1, -0.3, 0.3);
    bench_fill(X + NW, F, 2, -0.1, 0.1);
    bench_fill(X + NW + F, C * H * H, 3, -1, 1);
    info->nparams = NP;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "C=%ld H=%ld F=%ld", C, H, F);
    info->size_metric = (double)F * C * H * H;
    return 0;
}
double bench_primal(void) { return conv(C, H, F, X, X + NW, X + NW + F); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * NP);
    __enzyme_autodiff((void *)conv, enzyme_const, C, enzyme_const, H, enzyme_const, F, enzyme_dup, X, g, enzyme_dup,
                      X + NW, g + NW, enzyme_dup, X + NW + F, g + NW + F);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * NP);
    conv_hand(C, H, F, X, X + NW, X + NW + F, g, g + NW, g + NW + F);
}
