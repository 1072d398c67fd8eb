/* logreg: L2-regularized logistic regression loss over a dense n x d matrix,
 *   f = sum_i log1p(exp(-y_i (w . x_i + b))) + 0.5 lam |w|^2, y_i = +-1.
 * Params: w (d) then b. Sizes: n d. Hand adjoint: g = sum_i -y_i sigma(-y_i z_i) x_i + lam w. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
const char *bench_name = "logreg";
static long N, D;
static double *X, *A, *Y;
#define LAM 0.1

__attribute__((noinline)) double logreg(long n, long d, const double *restrict a, const double *restrict y,
                                        const double *restrict w, const double *restrict b) {
    double f = 0;
    for (long i = 0; i < n; i++) {
        double z = *b;
        for (long k = 0; k < d; k++) z += a[i * d + k] * w[k];
        f += log1p(exp(-y[i] * z));
    }
    double r = 0;
    for (long k = 0; k < d; k++) r += w[k] * w[k];
    return f + 0.5 * LAM * r;
}

__attribute__((noinline)) void logreg_hand(long n, long d, const double *restrict a, const double *restrict y,
                                           const double *restrict w, const double *restrict b, double *restrict wb,
                                           double *restrict bb) {
    double sb = 0;
    for (long i = 0; i < n; i++) {
        double z = *b;
        for (long k = 0; k < d; k++) z += a[i * d + k] * w[k];
        double e = exp(-y[i] * z);
        double c = -y[i] * e / (1 + e);
        sb += c;
        for (long k = 0; k < d; k++) wb[k] += c * a[i * d + k];
    }
    *bb += sb;
    for (long k = 0; k < d; k++) wb[k] += LAM * w[k];
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 4000;
    D = nsizes > 1 ? sizes[1] : 200;
    X = bench_xmalloc(sizeof(double) * (D + 1));
    A = bench_xmalloc(sizeof(double) * N * D);
    Y = bench_xmalloc(sizeof(double) * N);
    bench_fill(X, D + 1, 51, -0.2, 0.2);
    bench_fill(A, N * D, 52, -1, 1);
    for (long i = 0; i < N; i++) Y[i] = bench_urand(53, i) < 0.5 ? -1 : 1;
    info->nparams = D + 1;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld d=%ld", N, D);
    info->size_metric = (double)N * D;
    info->fd_step = 1e-5;
    return 0;
}
double bench_primal(void) { return logreg(N, D, A, Y, X, X + D); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (D + 1));
    __enzyme_autodiff((void *)logreg, enzyme_const, N, enzyme_const, D, enzyme_const, A, enzyme_const, Y, enzyme_dup, X,
                      g, enzyme_dup, X + D, g + D);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (D + 1));
    logreg_hand(N, D, A, Y, X, X + D, g, g + D);
}
