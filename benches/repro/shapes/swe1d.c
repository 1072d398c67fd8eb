/* swe1d: 1-D shallow-water equations (a 2-component system: depth h, discharge hu), first-order
 * finite volumes with the Rusanov flux: per interface the velocities u = hu / h, wave speeds
 * |u| + sqrt(g h), their fmax as the dissipation, fluxes into a scratch array (n + 1 interfaces);
 * then the update of the n cells; reflective walls by ghost cells; two states swapped by pointers.
 * Objective after T steps: 0.5 sum (h - h_target)^2 + 0.25 sum hu^2.
 * Params: h0, hu0 (n each). Sizes: n T.
 * Hand adjoint: all states stored ((T + 1) x 2 (n + 2) doubles), each step reversed with the
 * flux's partials (the fmax's winner, the division, sqrt) written out. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "swe1d";
static long N, T;
static double *X, *HT;
static const double G = 9.81, DTDX = 0.1;

__attribute__((noinline)) double swe1d(long n, long steps, const double *restrict h0, const double *restrict hu0,
                                       const double *restrict ht) {
    double *h = malloc(sizeof(double) * (n + 2)), *hu = malloc(sizeof(double) * (n + 2));
    double *hn = malloc(sizeof(double) * (n + 2)), *hun = malloc(sizeof(double) * (n + 2));
    double *f0 = malloc(sizeof(double) * (n + 1)), *f1 = malloc(sizeof(double) * (n + 1));
    for (long i = 0; i < n; i++) {
        h[i + 1] = h0[i];
        hu[i + 1] = hu0[i];
    }
    for (long t = 0; t < steps; t++) {
        h[0] = h[1];
        hu[0] = -hu[1];
        h[n + 1] = h[n];
        hu[n + 1] = -hu[n];
        for (long i = 0; i <= n; i++) {
            double hl = h[i], hr = h[i + 1], ql = hu[i], qr = hu[i + 1];
            double ul = ql / hl, ur = qr / hr;
            double s = fmax(fabs(ul) + sqrt(G * hl), fabs(ur) + sqrt(G * hr));
            f0[i] = 0.5 * (ql + qr) - 0.5 * s * (hr - hl);
            f1[i] = 0.5 * (ql * ul + 0.5 * G * hl * hl + qr * ur + 0.5 * G * hr * hr) - 0.5 * s * (qr - ql);
        }
        for (long i = 1; i <= n; i++) {
            hn[i] = h[i] - DTDX * (f0[i] - f0[i - 1]);
            hun[i] = hu[i] - DTDX * (f1[i] - f1[i - 1]);
        }
        double *t0 = h, *t1 = hu;
        h = hn;
        hu = hun;
        hn = t0;
        hun = t1;
    }
    double e = 0;
    for (long i = 1; i <= n; i++) {
        double d = h[i] - ht[i - 1];
        e += 0.5 * d * d + 0.25 * hu[i] * hu[i];
    }
    free(h);
    free(hu);
    free(hn);
    free(hun);
    free(f0);
    free(f1);
    return e;
}

__attribute__((noinline)) void swe1d_hand(long n, long steps, const double *restrict h0, const double *restrict hu0,
                                          const double *restrict ht, double *restrict gh, double *restrict ghu) {
    long m = n + 2;
    double *hs = malloc(sizeof(double) * m * (steps + 1)), *qs = malloc(sizeof(double) * m * (steps + 1));
    double *f0 = malloc(sizeof(double) * (n + 1)), *f1 = malloc(sizeof(double) * (n + 1));
    double *hb = malloc(sizeof(double) * m), *qb = malloc(sizeof(double) * m);
    double *hbo = malloc(sizeof(double) * m), *qbo = malloc(sizeof(double) * m);
    for (long i = 0; i < n; i++) {
        hs[i + 1] = h0[i];
        qs[i + 1] = hu0[i];
    }
    for (long t = 0; t < steps; t++) {
        double *h = hs + t * m, *hu = qs + t * m, *hn = hs + (t + 1) * m, *hun = qs + (t + 1) * m;
        h[0] = h[1];
        hu[0] = -hu[1];
        h[n + 1] = h[n];
        hu[n + 1] = -hu[n];
        for (long i = 0; i <= n; i++) {
            double hl = h[i], hr = h[i + 1], ql = hu[i], qr = hu[i + 1];
            double ul = ql / hl, ur = qr / hr;
            double s = fmax(fabs(ul) + sqrt(G * hl), fabs(ur) + sqrt(G * hr));
            f0[i] = 0.5 * (ql + qr) - 0.5 * s * (hr - hl);
            f1[i] = 0.5 * (ql * ul + 0.5 * G * hl * hl + qr * ur + 0.5 * G * hr * hr) - 0.5 * s * (qr - ql);
        }
        for (long i = 1; i <= n; i++) {
            hn[i] = h[i] - DTDX * (f0[i] - f0[i - 1]);
            hun[i] = hu[i] - DTDX * (f1[i] - f1[i - 1]);
        }
    }
    const double *hf = hs + steps * m, *qf = qs + steps * m;
    for (long i = 0; i < m; i++) hb[i] = qb[i] = 0;
    for (long i = 1; i <= n; i++) {
        hb[i] = hf[i] - ht[i - 1];
        qb[i] = 0.5 * qf[i];
    }
    for (long t = steps - 1; t >= 0; t--) {
        const double *h = hs + t * m, *hu = qs + t * m;
        /* the update: old state passes its adjoint through; each interface flux gets dtdx times
           the difference of its two cells' adjoints */
        for (long i = 0; i < m; i++) {
            hbo[i] = (i >= 1 && i <= n) ? hb[i] : 0;
            qbo[i] = (i >= 1 && i <= n) ? qb[i] : 0;
        }
        for (long i = 0; i <= n; i++) {
            double b0 = DTDX * ((i + 1 <= n ? hb[i + 1] : 0) - (i >= 1 ? hb[i] : 0));
            double b1 = DTDX * ((i + 1 <= n ? qb[i + 1] : 0) - (i >= 1 ? qb[i] : 0));
            double hl = h[i], hr = h[i + 1], ql = hu[i], qr = hu[i + 1];
            double ul = ql / hl, ur = qr / hr, cl = sqrt(G * hl), cr = sqrt(G * hr);
            double al = fabs(ul) + cl, ar = fabs(ur) + cr, s = fmax(al, ar);
            double sb = b0 * (-0.5 * (hr - hl)) + b1 * (-0.5 * (qr - ql));
            double hlb = b0 * 0.5 * s + b1 * 0.5 * (G * hl - ul * ul);
            double hrb = -b0 * 0.5 * s + b1 * 0.5 * (G * hr - ur * ur);
            double qlb = b0 * 0.5 + b1 * (ul + 0.5 * s);
            double qrb = b0 * 0.5 + b1 * (ur - 0.5 * s);
            double alb = al >= ar ? sb : 0, arb = al >= ar ? 0 : sb;
            /* a = |u| + sqrt(g h), u = q / h */
            double ulb = alb * (ul >= 0 ? 1 : -1), urb = arb * (ur >= 0 ? 1 : -1);
            hlb += alb * 0.5 * G / cl - ulb * ul / hl;
            qlb += ulb / hl;
            hrb += arb * 0.5 * G / cr - urb * ur / hr;
            qrb += urb / hr;
            hbo[i] += hlb;
            qbo[i] += qlb;
            hbo[i + 1] += hrb;
            qbo[i + 1] += qrb;
        }
        /* the ghost cells copy (h) and mirror (hu) the wall cells */
        hbo[1] += hbo[0];
        qbo[1] -= qbo[0];
        hbo[n] += hbo[n + 1];
        qbo[n] -= qbo[n + 1];
        double *tb = hb;
        hb = hbo;
        hbo = tb;
        tb = qb;
        qb = qbo;
        qbo = tb;
    }
    for (long i = 0; i < n; i++) {
        gh[i] += hb[i + 1];
        ghu[i] += qb[i + 1];
    }
    free(hs);
    free(qs);
    free(f0);
    free(f1);
    free(hb);
    free(qb);
    free(hbo);
    free(qbo);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 2000;
    T = nsizes > 1 ? sizes[1] : 500;
    X = bench_xmalloc(sizeof(double) * 2 * N);
    HT = bench_xmalloc(sizeof(double) * N);
    for (long i = 0; i < N; i++) {
        double z = (double)i / N;
        X[i] = 1 + 0.3 * exp(-200 * (z - 0.3) * (z - 0.3)) + 0.02 * bench_urand(801, i);
        X[N + i] = 0.2 * sin(6.28318530717958648 * z) + 0.02 * bench_urand(802, i);
        HT[i] = 1 + 0.1 * cos(12.5663706143591730 * z);
    }
    info->nparams = 2 * N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld T=%ld", N, T);
    info->size_metric = (double)N * T;
    info->fd_step = 1e-6;
    return 0;
}
double bench_primal(void) { return swe1d(N, T, X, X + N, HT); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 2 * N);
    __enzyme_autodiff((void *)swe1d, enzyme_const, N, enzyme_const, T, enzyme_dup, X, g, enzyme_dup, X + N, g + N,
                      enzyme_const, HT);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 2 * N);
    swe1d_hand(N, T, X, X + N, HT, g, g + N);
}
