/* fft_table: fft.c with the twiddle factors of every stage computed once into a scratch table
 * (same recurrence, filled before the butterflies) that the butterflies read; the table's
 * allocation is one `malloc` the optimizer duplicates into both arms of the `n >= 2` guard, so it
 * is freed through a phi of the two. Params, sizes and hand-written adjoint as in fft.c. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "fft_table";
static long N;
static double *X, *W;

static void fft_inplace(long n, double *a) {
    for (long i = 1, j = 0; i < n; i++) {
        long bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            double tr = a[2 * i], ti = a[2 * i + 1];
            a[2 * i] = a[2 * j];
            a[2 * i + 1] = a[2 * j + 1];
            a[2 * j] = tr;
            a[2 * j + 1] = ti;
        }
    }
    double *tw = malloc(sizeof(double) * 2 * n);
    for (long len = 2; len <= n; len <<= 1) {
        double ang = -2 * M_PI / len, wlr = cos(ang), wli = sin(ang);
        long h = len / 2;
        double wr = 1, wi = 0;
        for (long j = 0; j < h; j++) {
            tw[2 * (h + j)] = wr;
            tw[2 * (h + j) + 1] = wi;
            double t = wr * wlr - wi * wli;
            wi = wr * wli + wi * wlr;
            wr = t;
        }
    }
    for (long len = 2; len <= n; len <<= 1) {
        long h = len / 2;
        for (long i = 0; i < n; i += len) {
            for (long j = 0; j < h; j++) {
                double wr = tw[2 * (h + j)], wi = tw[2 * (h + j) + 1];
                double *u = a + 2 * (i + j), *v = a + 2 * (i + j + h);
                double vr = v[0] * wr - v[1] * wi, vi = v[0] * wi + v[1] * wr;
                v[0] = u[0] - vr;
                v[1] = u[1] - vi;
                u[0] += vr;
                u[1] += vi;
            }
        }
    }
    free(tw);
}

__attribute__((noinline)) double spectrum(long n, const double *restrict w, const double *restrict x) {
    double *a = malloc(sizeof(double) * 2 * n);
    memcpy(a, x, sizeof(double) * 2 * n);
    fft_inplace(n, a);
    double f = 0;
    for (long k = 0; k < n; k++) f += w[k] * (a[2 * k] * a[2 * k] + a[2 * k + 1] * a[2 * k + 1]);
    free(a);
    return f;
}

__attribute__((noinline)) void spectrum_hand(long n, const double *restrict w, const double *restrict x,
                                             double *restrict xb) {
    double *a = malloc(sizeof(double) * 2 * n);
    memcpy(a, x, sizeof(double) * 2 * n);
    fft_inplace(n, a);
    for (long k = 0; k < n; k++) { /* conj(Y), Y = 2 w X */
        a[2 * k] *= 2 * w[k];
        a[2 * k + 1] *= -2 * w[k];
    }
    fft_inplace(n, a);
    for (long k = 0; k < n; k++) {
        xb[2 * k] += a[2 * k];
        xb[2 * k + 1] -= a[2 * k + 1];
    }
    free(a);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = 1L << (nsizes > 0 ? sizes[0] : 17);
    X = bench_xmalloc(sizeof(double) * 2 * N);
    W = bench_xmalloc(sizeof(double) * N);
    bench_fill(X, 2 * N, 181, -1, 1);
    bench_fill(W, N, 182, 0, 1);
    info->nparams = 2 * N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld", N);
    info->size_metric = (double)N;
    info->fd_step = 1e-3; /* f is quadratic: central differences are exact but for rounding */
    return 0;
}
double bench_primal(void) { return spectrum(N, W, X); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 2 * N);
    __enzyme_autodiff((void *)spectrum, enzyme_const, N, enzyme_const, W, enzyme_dup, X, g);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 2 * N);
    spectrum_hand(N, W, X, g);
}
