/* blackscholes: f = sum_i w_i C(S_i, K_i, T_i, sig_i), European call, rate r fixed,
 * C = S Phi(d1) - K e^{-rT} Phi(d2), Phi(x) = 0.5 erfc(-x/sqrt 2), d1 = (log(S/K) + (r + sig^2/2)T)/(sig sqrt T).
 * Params: S, K, T, sig (4 arrays of n). Size: n.
 * Hand adjoint: the Greeks: delta = Phi(d1), dC/dK = -e^{-rT} Phi(d2),
 * theta-like dC/dT = S phi(d1) sig / (2 sqrt T) + r K e^{-rT} Phi(d2), vega = S phi(d1) sqrt T. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
const char *bench_name = "blackscholes";
static long N;
static double *X, *Wt;
static const double R = 0.03;

static double cnd(double x) { return 0.5 * erfc(-x * M_SQRT1_2); }

__attribute__((noinline)) double bs(long n, const double *restrict S, const double *restrict K,
                                    const double *restrict T, const double *restrict sig, const double *restrict w) {
    double f = 0;
    for (long i = 0; i < n; i++) {
        double st = sig[i] * sqrt(T[i]);
        double d1 = (log(S[i] / K[i]) + (R + 0.5 * sig[i] * sig[i]) * T[i]) / st;
        double d2 = d1 - st;
        double c = S[i] * cnd(d1) - K[i] * exp(-R * T[i]) * cnd(d2);
        f += w[i] * c;
    }
    return f;
}

__attribute__((noinline)) void bs_hand(long n, const double *restrict S, const double *restrict K,
                                       const double *restrict T, const double *restrict sig,
                                       const double *restrict w, double *restrict Sb, double *restrict Kb,
                                       double *restrict Tb, double *restrict sb) {
    for (long i = 0; i < n; i++) {
        double sq = sqrt(T[i]), st = sig[i] * sq;
        double d1 = (log(S[i] / K[i]) + (R + 0.5 * sig[i] * sig[i]) * T[i]) / st;
        double d2 = d1 - st;
        double disc = exp(-R * T[i]);
        double pd1 = exp(-0.5 * d1 * d1) * (0.5 * M_2_SQRTPI * M_SQRT1_2);
        double n2 = cnd(d2);
        Sb[i] += w[i] * cnd(d1);
        Kb[i] -= w[i] * disc * n2;
        Tb[i] += w[i] * (S[i] * pd1 * sig[i] / (2 * sq) + R * K[i] * disc * n2);
        sb[i] += w[i] * S[i] * pd1 * sq;
    }
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 100000;
    X = bench_xmalloc(sizeof(double) * 4 * N);
    Wt = bench_xmalloc(sizeof(double) * N);
    bench_fill(X, N, 11, 80, 120);
    bench_fill(X + N, N, 12, 90, 110);
    bench_fill(X + 2 * N, N, 13, 0.25, 2);
    bench_fill(X + 3 * N, N, 14, 0.1, 0.5);
    bench_fill(Wt, N, 15, -1, 1);
    info->nparams = 4 * N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld", N);
    info->size_metric = (double)N;
    info->fd_step = 1e-4;
    return 0;
}
double bench_primal(void) { return bs(N, X, X + N, X + 2 * N, X + 3 * N, Wt); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 4 * N);
    __enzyme_autodiff((void *)bs, enzyme_const, N, enzyme_dup, X, g, enzyme_dup, X + N, g + N, enzyme_dup, X + 2 * N,
                      g + 2 * N, enzyme_dup, X + 3 * N, g + 3 * N, enzyme_const, Wt);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 4 * N);
    bs_hand(N, X, X + N, X + 2 * N, X + 3 * N, Wt, g, g + N, g + 2 * N, g + 3 * N);
}
