/* cells: pair energy with a cutoff through a cell list (no tree): particles in a periodic 2-D box are
 * binned by floor(x / rc) into linked lists (head/next, integers computed from the active
 * coordinates), and each particle visits the 3x3 neighbouring cells, pairs j > i, minimum image by
 * round(), e = sum over pairs with r^2 < rc^2 of (1 - r^2/rc^2)^3 / (r^2 + a^2). Params: positions
 * (2N). Sizes: N (box side scaled for a fixed density, ~20 neighbours inside the cutoff).
 * Hand adjoint: the same traversal, de/dr^2 per pair, +-2 de/dr^2 (r_i - r_j) into both particles. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "cells";
static long N;
static double *X, BOX;
#define RC 1.0
#define A2 0.25

static long ncell(double box) { return (long)(box / RC); }

__attribute__((noinline)) double cells(long n, double box, const double *restrict x) {
    long nc = ncell(box);
    double cw = box / nc;
    long *head = malloc(sizeof(long) * nc * nc), *next = malloc(sizeof(long) * n);
    for (long c = 0; c < nc * nc; c++) head[c] = -1;
    for (long i = 0; i < n; i++) {
        long cx = (long)(x[2 * i] / cw), cy = (long)(x[2 * i + 1] / cw);
        cx = cx < 0 ? 0 : cx >= nc ? nc - 1 : cx;
        cy = cy < 0 ? 0 : cy >= nc ? nc - 1 : cy;
        next[i] = head[cy * nc + cx];
        head[cy * nc + cx] = i;
    }
    double e = 0;
    for (long cy = 0; cy < nc; cy++)
        for (long cx = 0; cx < nc; cx++)
            for (long i = head[cy * nc + cx]; i >= 0; i = next[i])
                for (long dy = -1; dy <= 1; dy++)
                    for (long dx = -1; dx <= 1; dx++) {
                        long c2 = ((cy + dy + nc) % nc) * nc + (cx + dx + nc) % nc;
                        for (long j = head[c2]; j >= 0; j = next[j]) {
                            if (j <= i) continue;
                            double rx = x[2 * i] - x[2 * j], ry = x[2 * i + 1] - x[2 * j + 1];
                            rx -= box * round(rx / box);
                            ry -= box * round(ry / box);
                            double r2 = rx * rx + ry * ry;
                            if (r2 < RC * RC) {
                                double s = 1 - r2 / (RC * RC);
                                e += s * s * s / (r2 + A2);
                            }
                        }
                    }
    free(head);
    free(next);
    return e;
}

__attribute__((noinline)) void cells_hand(long n, double box, const double *restrict x, double *restrict g) {
    long nc = ncell(box);
    double cw = box / nc;
    long *head = malloc(sizeof(long) * nc * nc), *next = malloc(sizeof(long) * n);
    for (long c = 0; c < nc * nc; c++) head[c] = -1;
    for (long i = 0; i < n; i++) {
        long cx = (long)(x[2 * i] / cw), cy = (long)(x[2 * i + 1] / cw);
        cx = cx < 0 ? 0 : cx >= nc ? nc - 1 : cx;
        cy = cy < 0 ? 0 : cy >= nc ? nc - 1 : cy;
        next[i] = head[cy * nc + cx];
        head[cy * nc + cx] = i;
    }
    for (long cy = 0; cy < nc; cy++)
        for (long cx = 0; cx < nc; cx++)
            for (long i = head[cy * nc + cx]; i >= 0; i = next[i])
                for (long dy = -1; dy <= 1; dy++)
                    for (long dx = -1; dx <= 1; dx++) {
                        long c2 = ((cy + dy + nc) % nc) * nc + (cx + dx + nc) % nc;
                        for (long j = head[c2]; j >= 0; j = next[j]) {
                            if (j <= i) continue;
                            double rx = x[2 * i] - x[2 * j], ry = x[2 * i + 1] - x[2 * j + 1];
                            rx -= box * round(rx / box);
                            ry -= box * round(ry / box);
                            double r2 = rx * rx + ry * ry;
                            if (r2 < RC * RC) {
                                double s = 1 - r2 / (RC * RC), q = 1 / (r2 + A2);
                                /* d/dr2 [s^3 q] = -3 s^2 / rc^2 q - s^3 q^2 */
                                double d = -3 * s * s / (RC * RC) * q - s * s * s * q * q;
                                g[2 * i] += 2 * d * rx;
                                g[2 * i + 1] += 2 * d * ry;
                                g[2 * j] -= 2 * d * rx;
                                g[2 * j + 1] -= 2 * d * ry;
                            }
                        }
                    }
    free(head);
    free(next);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 20000;
    BOX = sqrt(N / 6.5); /* density: ~20 neighbours within rc = 1 */
    X = bench_xmalloc(sizeof(double) * 2 * N);
    /* inside [0.01, box - 0.01) so that small steps do not cross the periodic wrap of the binning */
    bench_fill(X, 2 * N, 241, 0.01, BOX - 0.01);
    info->nparams = 2 * N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "N=%ld", N);
    info->size_metric = (double)N;
    info->fd_step = 1e-7;
    info->fd_rtol = 1e-4;
    return 0;
}
double bench_primal(void) { return cells(N, BOX, X); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 2 * N);
    __enzyme_autodiff((void *)cells, enzyme_const, N, enzyme_const, BOX, enzyme_dup, X, g);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 2 * N);
    cells_hand(N, BOX, X, g);
}
