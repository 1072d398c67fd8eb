/* warp: dense image registration objective. A displacement field (u, v) warps image I by
 * bilinear interpolation at data-dependent positions (i + u_ij, j + v_ij), clamped to the image
 * by fmax/fmin, cell found by floor (an integer gather whose adjoint is a scatter-add into dI);
 * objective: 0.5 sum (warped - T)^2 + 0.5 lambda sum |grad u|^2 + |grad v|^2 (forward differences).
 * T fixed. Params: I, u, v (H x W each). Sizes: H W.
 * Hand adjoint: one pass; the four corner weights' partials and the clamps' indicators by hand. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "warp";
static long H, W;
static double *X, *TG;
static const double LAMBDA = 0.2;

__attribute__((noinline)) double warp(long h, long w, const double *restrict img, const double *restrict u,
                                      const double *restrict v, const double *restrict tg) {
    double ymax = h - 1.001, xmax = w - 1.001, f = 0;
    for (long i = 0; i < h; i++) {
        double fr = 0; /* per-row partial sums: less rounding for the finite differences */
        for (long j = 0; j < w; j++) {
            long k = i * w + j;
            double py = fmin(fmax(i + u[k], 0.0), ymax), px = fmin(fmax(j + v[k], 0.0), xmax);
            double y0 = floor(py), x0 = floor(px), fy = py - y0, fx = px - x0;
            long b = (long)y0 * w + (long)x0;
            double val = (1 - fy) * ((1 - fx) * img[b] + fx * img[b + 1]) +
                         fy * ((1 - fx) * img[b + w] + fx * img[b + w + 1]);
            double r = val - tg[k];
            fr += 0.5 * r * r;
        }
        f += fr;
    }
    double s = 0;
    for (long i = 0; i < h; i++)
        for (long j = 0; j < w; j++) {
            long k = i * w + j;
            if (i + 1 < h) {
                double a = u[k + w] - u[k], c = v[k + w] - v[k];
                s += a * a + c * c;
            }
            if (j + 1 < w) {
                double a = u[k + 1] - u[k], c = v[k + 1] - v[k];
                s += a * a + c * c;
            }
        }
    return f + 0.5 * LAMBDA * s;
}

__attribute__((noinline)) void warp_hand(long h, long w, const double *restrict img, const double *restrict u,
                                         const double *restrict v, const double *restrict tg, double *restrict gi,
                                         double *restrict gu, double *restrict gv) {
    double ymax = h - 1.001, xmax = w - 1.001;
    for (long i = 0; i < h; i++)
        for (long j = 0; j < w; j++) {
            long k = i * w + j;
            double ry = i + u[k], rx = j + v[k];
            double py = fmin(fmax(ry, 0.0), ymax), px = fmin(fmax(rx, 0.0), xmax);
            double y0 = floor(py), x0 = floor(px), fy = py - y0, fx = px - x0;
            long b = (long)y0 * w + (long)x0;
            double i00 = img[b], i01 = img[b + 1], i10 = img[b + w], i11 = img[b + w + 1];
            double top = (1 - fx) * i00 + fx * i01, bot = (1 - fx) * i10 + fx * i11;
            double r = (1 - fy) * top + fy * bot - tg[k];
            gi[b] += r * (1 - fy) * (1 - fx);
            gi[b + 1] += r * (1 - fy) * fx;
            gi[b + w] += r * fy * (1 - fx);
            gi[b + w + 1] += r * fy * fx;
            double dfy = r * (bot - top), dfx = r * ((1 - fy) * (i01 - i00) + fy * (i11 - i10));
            if (ry > 0 && ry < ymax) gu[k] += dfy;
            if (rx > 0 && rx < xmax) gv[k] += dfx;
        }
    for (long i = 0; i < h; i++)
        for (long j = 0; j < w; j++) {
            long k = i * w + j;
            if (i + 1 < h) {
                double a = LAMBDA * (u[k + w] - u[k]), c = LAMBDA * (v[k + w] - v[k]);
                gu[k + w] += a;
                gu[k] -= a;
                gv[k + w] += c;
                gv[k] -= c;
            }
            if (j + 1 < w) {
                double a = LAMBDA * (u[k + 1] - u[k]), c = LAMBDA * (v[k + 1] - v[k]);
                gu[k + 1] += a;
                gu[k] -= a;
                gv[k + 1] += c;
                gv[k] -= c;
            }
        }
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    H = nsizes > 0 ? sizes[0] : 512;
    W = nsizes > 1 ? sizes[1] : 512;
    long hw = H * W, np = 3 * hw;
    X = bench_xmalloc(sizeof(double) * np);
    TG = bench_xmalloc(sizeof(double) * hw);
    for (long i = 0; i < H; i++)
        for (long j = 0; j < W; j++) {
            long k = i * W + j;
            X[k] = sin(0.11 * i) * cos(0.07 * j) + 0.2 * bench_urand(701, k);
            TG[k] = sin(0.11 * i + 0.3) * cos(0.07 * j - 0.2);
        }
    bench_fill(X + hw, 2 * hw, 702, -2.5, 2.5);
    info->nparams = np;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "H=%ld W=%ld", H, W);
    info->size_metric = (double)hw;
    info->fd_step = 1e-6;
    /* f ~ 10^5 at the default size: one ulp of f over 2h is ~3e-5 of a small component. The
       hand-written adjoint passes the default 1e-5 at H = 48, W = 40 (-O0..-O3) */
    if (H * W > 48 * 40) info->fd_rtol = 1e-3;
    return 0;
}
double bench_primal(void) { return warp(H, W, X, X + H * W, X + 2 * H * W, TG); }
void bench_grad_ferment(double *g) {
    long hw = H * W;
    memset(g, 0, sizeof(double) * 3 * hw);
    __enzyme_autodiff((void *)warp, enzyme_const, H, enzyme_const, W, enzyme_dup, X, g, enzyme_dup, X + hw, g + hw,
                      enzyme_dup, X + 2 * hw, g + 2 * hw, enzyme_const, TG);
}
void bench_grad_hand(double *g) {
    long hw = H * W;
    memset(g, 0, sizeof(double) * 3 * hw);
    warp_hand(H, W, X, X + hw, X + 2 * hw, TG, g, g + hw, g + 2 * hw);
}
