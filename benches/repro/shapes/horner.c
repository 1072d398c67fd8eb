/* horner: f = 0.5 sum_j (p(x_j) - y_j)^2 with p(t) = sum_k c_k t^k evaluated by Horner's rule.
 * Params: c (m) then x (n). Sizes: m n. Hand adjoint: r_j = p(x_j) - y_j,
 * cbar_k += r_j x_j^k, xbar_j = r_j p'(x_j) (p' by Horner alongside p). */
#include "bench.h"
#include <ferment.h>
#include <stdio.h>
#include <string.h>
const char *bench_name = "horner";
static long M, N;
static double *X, *Yv;

__attribute__((noinline)) double horner(long m, long n, const double *restrict c, const double *restrict x,
                                        const double *restrict y) {
    double f = 0;
    for (long j = 0; j < n; j++) {
        double p = c[m - 1];
        for (long k = m - 2; k >= 0; k--) p = p * x[j] + c[k];
        double r = p - y[j];
        f += r * r;
    }
    return 0.5 * f;
}

__attribute__((noinline)) void horner_hand(long m, long n, const double *restrict c, const double *restrict x,
                                           const double *restrict y, double *restrict cb, double *restrict xb) {
    for (long j = 0; j < n; j++) {
        double p = c[m - 1], dp = 0, t = x[j];
        for (long k = m - 2; k >= 0; k--) {
            dp = dp * t + p;
            p = p * t + c[k];
        }
        double r = p - y[j];
        xb[j] += r * dp;
        double pw = r;
        for (long k = 0; k < m; k++) {
            cb[k] += pw;
            pw *= t;
        }
    }
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    M = nsizes > 0 ? sizes[0] : 16;
    N = nsizes > 1 ? sizes[1] : 100000;
    X = bench_xmalloc(sizeof(double) * (M + N));
    Yv = bench_xmalloc(sizeof(double) * N);
    bench_fill(X, M, 71, -1, 1);
    bench_fill(X + M, N, 72, -1, 1);
    bench_fill(Yv, N, 73, -1, 1);
    info->nparams = M + N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "m=%ld n=%ld", M, N);
    info->size_metric = (double)M * N;
    return 0;
}
double bench_primal(void) { return horner(M, N, X, X + M, Yv); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (M + N));
    __enzyme_autodiff((void *)horner, enzyme_const, M, enzyme_const, N, enzyme_dup, X, g, enzyme_dup, X + M, g + M,
                      enzyme_const, Yv);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (M + N));
    horner_hand(M, N, X, X + M, Yv, g, g + M);
}
