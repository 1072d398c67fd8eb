/* nbll: negative binomial regression, negative log-likelihood with lgamma and log1p:
 *   mu_i = exp(w . a_i), r = exp(lr),
 *   -ll = -sum_i [lgamma(y_i + r) - lgamma(r) - lgamma(y_i + 1) - r log1p(mu_i / r) + y_i (eta_i - log(r + mu_i))].
 * Params: w (p) then lr. Sizes: n p. Hand adjoint: d/deta = y - (r + y) mu/(r + mu);
 * d/dr = psi(y + r) - psi(r) - log1p(mu/r) + (mu - y)/(r + mu), psi by recurrence + asymptotic series. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
const char *bench_name = "nbll";
static long N, P;
static double *X, *A, *Y;

__attribute__((noinline)) double nbll(long n, long p, const double *restrict a, const double *restrict y,
                                      const double *restrict w, const double *restrict lr) {
    double r = exp(*lr), ll = 0;
    for (long i = 0; i < n; i++) {
        double eta = 0;
        for (long k = 0; k < p; k++) eta += a[i * p + k] * w[k];
        double mu = exp(eta);
        ll += lgamma(y[i] + r) - lgamma(r) - lgamma(y[i] + 1) - r * log1p(mu / r) + y[i] * (eta - log(r + mu));
    }
    return -ll;
}

static double digamma(double x) {
    double s = 0;
    while (x < 6) { s -= 1 / x; x += 1; }
    double u = 1 / (x * x);
    return s + log(x) - 0.5 / x - u * (1.0 / 12 - u * (1.0 / 120 - u * (1.0 / 252 - u * (1.0 / 240 - u / 132))));
}

__attribute__((noinline)) void nbll_hand(long n, long p, const double *restrict a, const double *restrict y,
                                         const double *restrict w, const double *restrict lr, double *restrict wb,
                                         double *restrict lrb) {
    double r = exp(*lr), rb = 0, pr = digamma(r);
    for (long i = 0; i < n; i++) {
        double eta = 0;
        for (long k = 0; k < p; k++) eta += a[i * p + k] * w[k];
        double mu = exp(eta), q = 1 / (r + mu);
        double de = y[i] - (r + y[i]) * mu * q;
        rb += digamma(y[i] + r) - pr - log1p(mu / r) + (mu - y[i]) * q;
        for (long k = 0; k < p; k++) wb[k] -= de * a[i * p + k];
    }
    *lrb -= rb * r;
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 100000;
    P = nsizes > 1 ? sizes[1] : 10;
    X = bench_xmalloc(sizeof(double) * (P + 1));
    A = bench_xmalloc(sizeof(double) * N * P);
    Y = bench_xmalloc(sizeof(double) * N);
    bench_fill(X, P, 121, -0.2, 0.2);
    X[P] = 0.7;
    bench_fill(A, N * P, 122, -1, 1);
    for (long i = 0; i < N; i++) Y[i] = floor(bench_urand(123, i) * 8);
    info->nparams = P + 1;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld p=%ld", N, P);
    info->size_metric = (double)N * P;
    info->fd_step = 1e-5;
    info->ad_rtol = 1e-8;
    return 0;
}
double bench_primal(void) { return nbll(N, P, A, Y, X, X + P); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (P + 1));
    __enzyme_autodiff((void *)nbll, enzyme_const, N, enzyme_const, P, enzyme_const, A, enzyme_const, Y, enzyme_dup, X, g,
                      enzyme_dup, X + P, g + P);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (P + 1));
    nbll_hand(N, P, A, Y, X, X + P, g, g + P);
}
