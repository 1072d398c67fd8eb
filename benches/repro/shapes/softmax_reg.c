/* softmax_reg: multinomial logistic regression (softmax cross-entropy), per row i a log-sum-exp over
 * k classes with the row maximum subtracted: f = sum_i [m_i + log sum_c exp(z_ic - m_i) - z_{i,y_i}],
 * z_ic = b_c + W_c . x_i. X (n x p) and labels y fixed. Params: W (k x p), b (k). Sizes: n p k.
 * Hand adjoint: dz_ic = softmax_c(z_i) - [c == y_i]; dW_c += dz_ic x_i, db_c += dz_ic. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "softmax_reg";
static long N, P, K;
static double *X, *XD;
static int *Y;

__attribute__((noinline)) double softmax_reg(long n, long p, long k, const double *restrict x, const int *restrict y,
                                             const double *restrict w, const double *restrict b) {
    double *z = malloc(sizeof(double) * k);
    double f = 0;
    for (long i = 0; i < n; i++) {
        const double *xi = x + i * p;
        double m = -INFINITY;
        for (long c = 0; c < k; c++) {
            double s = b[c];
            for (long j = 0; j < p; j++) s += w[c * p + j] * xi[j];
            z[c] = s;
            m = fmax(m, s);
        }
        double e = 0;
        for (long c = 0; c < k; c++) e += exp(z[c] - m);
        f += m + log(e) - z[y[i]];
    }
    free(z);
    return f;
}

__attribute__((noinline)) void softmax_reg_hand(long n, long p, long k, const double *restrict x,
                                                const int *restrict y, const double *restrict w,
                                                const double *restrict b, double *restrict gw, double *restrict gb) {
    double *z = malloc(sizeof(double) * k);
    for (long i = 0; i < n; i++) {
        const double *xi = x + i * p;
        double m = -INFINITY;
        for (long c = 0; c < k; c++) {
            double s = b[c];
            for (long j = 0; j < p; j++) s += w[c * p + j] * xi[j];
            z[c] = s;
            m = fmax(m, s);
        }
        double e = 0;
        for (long c = 0; c < k; c++) {
            z[c] = exp(z[c] - m);
            e += z[c];
        }
        double ie = 1 / e;
        for (long c = 0; c < k; c++) {
            double d = z[c] * ie - (c == y[i]);
            gb[c] += d;
            for (long j = 0; j < p; j++) gw[c * p + j] += d * xi[j];
        }
    }
    free(z);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 20000;
    P = nsizes > 1 ? sizes[1] : 20;
    K = nsizes > 2 ? sizes[2] : 10;
    XD = bench_xmalloc(sizeof(double) * N * P);
    bench_fill(XD, N * P, 201, -1, 1);
    Y = bench_xmalloc(sizeof(int) * N);
    for (long i = 0; i < N; i++) Y[i] = (int)(bench_urand(202, i) * K);
    X = bench_xmalloc(sizeof(double) * (K * P + K));
    bench_fill(X, K * P + K, 203, -0.5, 0.5);
    info->nparams = K * P + K;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld p=%ld k=%ld", N, P, K);
    info->size_metric = (double)N * P * K;
    info->fd_step = 1e-5;
    return 0;
}
double bench_primal(void) { return softmax_reg(N, P, K, XD, Y, X, X + K * P); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (K * P + K));
    __enzyme_autodiff((void *)softmax_reg, enzyme_const, N, enzyme_const, P, enzyme_const, K, enzyme_const, XD,
                      enzyme_const, Y, enzyme_dup, X, g, enzyme_dup, X + K * P, g + K * P);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (K * P + K));
    softmax_reg_hand(N, P, K, XD, Y, X, X + K * P, g, g + K * P);
}
