/* thomas: solve the tridiagonal system a_i x_{i-1} + b_i x_i + c_i x_{i+1} = d_i by the Thomas
 * algorithm, f = 0.5 |x|^2. Params: a, b, c, d (n each; a_0 and c_{n-1} unused). Size: n.
 * Hand adjoint: lam = T^{-T} x (Thomas on the transposed system: sub c_{i-1}, super a_{i+1});
 * dbar = lam, bbar_i = -lam_i x_i, abar_i = -lam_i x_{i-1}, cbar_i = -lam_i x_{i+1}. */
#include "bench.h"
#include <ferment.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "thomas";
static long N;
static double *X;

__attribute__((noinline)) double thomas(long n, const double *restrict a, const double *restrict b,
                                        const double *restrict c, const double *restrict d) {
    double *cp = malloc(sizeof(double) * n), *dp = malloc(sizeof(double) * n), *x = malloc(sizeof(double) * n);
    cp[0] = c[0] / b[0];
    dp[0] = d[0] / b[0];
    for (long i = 1; i < n; i++) {
        double m = b[i] - a[i] * cp[i - 1];
        cp[i] = c[i] / m;
        dp[i] = (d[i] - a[i] * dp[i - 1]) / m;
    }
    x[n - 1] = dp[n - 1];
    for (long i = n - 2; i >= 0; i--) x[i] = dp[i] - cp[i] * x[i + 1];
    double f = 0;
    for (long i = 0; i < n; i++) f += x[i] * x[i];
    free(cp);
    free(dp);
    free(x);
    return 0.5 * f;
}

/* solve with sub-diagonal s (s_i multiplies z_{i-1}), diagonal b, super-diagonal u */
static void tsolve(long n, const double *s, const double *b, const double *u, const double *r, double *cp, double *z) {
    cp[0] = u[0] / b[0];
    z[0] = r[0] / b[0];
    for (long i = 1; i < n; i++) {
        double m = b[i] - s[i] * cp[i - 1];
        cp[i] = u[i] / m;
        z[i] = (r[i] - s[i] * z[i - 1]) / m;
    }
    for (long i = n - 2; i >= 0; i--) z[i] -= cp[i] * z[i + 1];
}

__attribute__((noinline)) void thomas_hand(long n, const double *restrict a, const double *restrict b,
                                           const double *restrict c, const double *restrict d, double *restrict ab,
                                           double *restrict bb, double *restrict cb, double *restrict db) {
    double *cp = malloc(sizeof(double) * n), *x = malloc(sizeof(double) * n), *lam = malloc(sizeof(double) * n);
    double *s = malloc(sizeof(double) * n), *u = malloc(sizeof(double) * n);
    tsolve(n, a, b, c, d, cp, x);
    s[0] = 0;
    for (long i = 1; i < n; i++) s[i] = c[i - 1];
    for (long i = 0; i + 1 < n; i++) u[i] = a[i + 1];
    u[n - 1] = 0;
    tsolve(n, s, b, u, x, cp, lam);
    for (long i = 0; i < n; i++) {
        db[i] += lam[i];
        bb[i] -= lam[i] * x[i];
        if (i > 0) ab[i] -= lam[i] * x[i - 1];
        if (i + 1 < n) cb[i] -= lam[i] * x[i + 1];
    }
    free(cp); free(x); free(lam); free(s); free(u);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 200000;
    X = bench_xmalloc(sizeof(double) * 4 * N);
    bench_fill(X, N, 61, -1, 0);
    bench_fill(X + N, N, 62, 3, 4);
    bench_fill(X + 2 * N, N, 63, -1, 0);
    bench_fill(X + 3 * N, N, 64, -1, 1);
    info->nparams = 4 * N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld", N);
    info->size_metric = (double)N;
    /* f = O(n): a larger step keeps the rounding of f out of the FD check */
    info->fd_step = 1e-3;
    return 0;
}
double bench_primal(void) { return thomas(N, X, X + N, X + 2 * N, X + 3 * N); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 4 * N);
    __enzyme_autodiff((void *)thomas, enzyme_const, N, enzyme_dup, X, g, enzyme_dup, X + N, g + N, enzyme_dup, X + 2 * N,
                      g + 2 * N, enzyme_dup, X + 3 * N, g + 3 * N);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 4 * N);
    thomas_hand(N, X, X + N, X + 2 * N, X + 3 * N, g, g + N, g + 2 * N, g + 3 * N);
}
