/* The gmm benchmark's problem, shared by its loop version (gmm.c) and its
 * BLAS version (gmm_blas.c) so that both time the same objective on the same
 * data: sizes d k n, the flat parameters X (alphas[k], means[k][d],
 * icf[k][d(d+1)/2]), the data points (n x d), and bench_init. Include it in
 * exactly one translation unit of a benchmark binary, after bench.h. */
#ifndef GMM_DATA_H
#define GMM_DATA_H
#include <stdio.h>

static long D, K, Nn;
static double *X;    /* flat parameters: alphas[k], means[k][d], icf[k][d(d+1)/2] */
static double *data; /* n x d */
static const double GAMMA = 1.0;
static const int WM = 0;

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    D = nsizes > 0 ? sizes[0] : 10;
    K = nsizes > 1 ? sizes[1] : 25;
    Nn = nsizes > 2 ? sizes[2] : 1000;
    if (D < 1 || K < 1 || Nn < 1) return 1;
    long icf_sz = D * (D + 1) / 2;
    long np = K + K * D + K * icf_sz;
    X = bench_xmalloc(sizeof(double) * np);
    data = bench_xmalloc(sizeof(double) * Nn * D);
    bench_fill(X, K, 11, -1, 1);                          /* alphas */
    bench_fill(X + K, K * D, 12, 0, 1);                   /* means  */
    bench_fill(X + K + K * D, K * icf_sz, 13, -0.5, 0.5); /* icf */
    bench_fill(data, Nn * D, 14, 0, 1);
    info->nparams = np;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "d=%ld k=%ld n=%ld", D, K, Nn);
    info->size_metric = (double)np;
    return 0;
}
#endif
