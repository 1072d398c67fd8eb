/* attention: one softmax attention head, X (n x d) fixed, Q = X Wq, K = X Wk, V = X Wv (d x d),
 * P = softmax_rows(Q K^T / sqrt d), O = P V, f = 0.5 |O|^2. Params: Wq, Wk, Wv. Sizes: n d.
 * Hand adjoint: Obar = O, Pbar = Obar V^T, Vbar = P^T Obar, Sbar = P o (Pbar - rowsum(P o Pbar)),
 * Qbar = Sbar K / sqrt d, Kbar = Sbar^T Q / sqrt d, W*bar = X^T *bar. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "attention";
static long N, D;
static double *X, *IN;

static void proj(long n, long d, const double *restrict x, const double *restrict w, double *restrict out) {
    for (long i = 0; i < n; i++)
        for (long j = 0; j < d; j++) {
            double s = 0;
            for (long k = 0; k < d; k++) s += x[i * d + k] * w[k * d + j];
            out[i * d + j] = s;
        }
}

__attribute__((noinline)) double attn(long n, long d, const double *restrict x, const double *restrict wq,
                                      const double *restrict wk, const double *restrict wv) {
    double *q = malloc(sizeof(double) * n * d), *k = malloc(sizeof(double) * n * d);
    double *v = malloc(sizeof(double) * n * d), *p = malloc(sizeof(double) * n);
    proj(n, d, x, wq, q);
    proj(n, d, x, wk, k);
    proj(n, d, x, wv, v);
    double scale = 1 / sqrt((double)d), f = 0;
    for (long i = 0; i < n; i++) {
        double mx = -INFINITY;
        for (long j = 0; j < n; j++) {
            double s = 0;
            for (long c = 0; c < d; c++) s += q[i * d + c] * k[j * d + c];
            p[j] = s * scale;
            if (p[j] > mx) mx = p[j];
        }
        double z = 0;
        for (long j = 0; j < n; j++) {
            p[j] = exp(p[j] - mx);
            z += p[j];
        }
        for (long c = 0; c < d; c++) {
            double o = 0;
            for (long j = 0; j < n; j++) o += p[j] * v[j * d + c];
            o /= z;
            f += o * o;
        }
    }
    free(q);
    free(k);
    free(v);
    free(p);
    return 0.5 * f;
}

__attribute__((noinline)) void attn_hand(long n, long d, const double *restrict x, const double *restrict wq,
                                         const double *restrict wk, const double *restrict wv, double *restrict gq,
                                         double *restrict gk, double *restrict gv) {
    double *q = malloc(sizeof(double) * n * d), *k = malloc(sizeof(double) * n * d);
    double *v = malloc(sizeof(double) * n * d), *p = malloc(sizeof(double) * n);
    double *qb = calloc(n * d, sizeof(double)), *kb = calloc(n * d, sizeof(double)), *vb = calloc(n * d, sizeof(double));
    double *o = malloc(sizeof(double) * d), *pb = malloc(sizeof(double) * n);
    proj(n, d, x, wq, q);
    proj(n, d, x, wk, k);
    proj(n, d, x, wv, v);
    double scale = 1 / sqrt((double)d);
    for (long i = 0; i < n; i++) {
        double mx = -INFINITY;
        for (long j = 0; j < n; j++) {
            double s = 0;
            for (long c = 0; c < d; c++) s += q[i * d + c] * k[j * d + c];
            p[j] = s * scale;
            if (p[j] > mx) mx = p[j];
        }
        double z = 0;
        for (long j = 0; j < n; j++) {
            p[j] = exp(p[j] - mx);
            z += p[j];
        }
        for (long j = 0; j < n; j++) p[j] /= z;
        for (long c = 0; c < d; c++) {
            double s = 0;
            for (long j = 0; j < n; j++) s += p[j] * v[j * d + c];
            o[c] = s; /* = obar */
        }
        double dotp = 0;
        for (long j = 0; j < n; j++) {
            double s = 0;
            for (long c = 0; c < d; c++) {
                s += o[c] * v[j * d + c];
                vb[j * d + c] += p[j] * o[c];
            }
            pb[j] = s;
            dotp += p[j] * s;
        }
        for (long j = 0; j < n; j++) {
            double sb = p[j] * (pb[j] - dotp) * scale;
            for (long c = 0; c < d; c++) {
                qb[i * d + c] += sb * k[j * d + c];
                kb[j * d + c] += sb * q[i * d + c];
            }
        }
    }
    /* W*bar = X^T *bar */
    for (long r = 0; r < n; r++)
        for (long a = 0; a < d; a++) {
            double xa = x[r * d + a];
            for (long c = 0; c < d; c++) {
                gq[a * d + c] += xa * qb[r * d + c];
                gk[a * d + c] += xa * kb[r * d + c];
                gv[a * d + c] += xa * vb[r * d + c];
            }
        }
    free(q); free(k); free(v); free(p); free(qb); free(kb); free(vb); free(o); free(pb);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 128;
    D = nsizes > 1 ? sizes[1] : 32;
    X = bench_xmalloc(sizeof(double) * 3 * D * D);
    IN = bench_xmalloc(sizeof(double) * N * D);
    bench_fill(X, 3 * D * D, 31, -0.3, 0.3);
    bench_fill(IN, N * D, 32, -1, 1);
    info->nparams = 3 * D * D;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld d=%ld", N, D);
    info->size_metric = (double)N * N * D;
    return 0;
}
double bench_primal(void) { return attn(N, D, IN, X, X + D * D, X + 2 * D * D); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 3 * D * D);
    __enzyme_autodiff((void *)attn, enzyme_const, N, enzyme_const, D, enzyme_const, IN, enzyme_dup, X, g, enzyme_dup,
                      X + D * D, g + D * D, enzyme_dup, X + 2 * D * D, g + 2 * D * D);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 3 * D * D);
    attn_hand(N, D, IN, X, X + D * D, X + 2 * D * D, g, g + D * D, g + 2 * D * D);
}
