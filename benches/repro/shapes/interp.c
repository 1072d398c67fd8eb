/* interp: piecewise-linear table lookup by binary search over K nonuniform knots (fixed), values at
 * the knots and N query points active, f = sum_i (interp(q_i) - t_i)^2 + sum_i q_i interp(q_i).
 * Params: table values (K) then queries (N). Sizes: N K.
 * Hand adjoint: same search; v = y_lo (1 - s) + y_hi s, s = (q - x_lo)/(x_hi - x_lo); dv/dq = (y_hi - y_lo)/(x_hi - x_lo). */
#include "bench.h"
#include <ferment.h>
#include <stdio.h>
#include <string.h>
const char *bench_name = "interp";
static long N, K;
static double *X, *XS, *TG;

static inline long find(long k, const double *xs, double q) {
    long lo = 0, hi = k - 1;
    while (hi - lo > 1) {
        long mid = (lo + hi) / 2;
        if (xs[mid] <= q) lo = mid;
        else hi = mid;
    }
    return lo;
}

__attribute__((noinline)) double interp(long n, long k, const double *restrict xs, const double *restrict tg,
                                        const double *restrict ys, const double *restrict q) {
    double f = 0;
    for (long i = 0; i < n; i++) {
        long lo = find(k, xs, q[i]);
        double s = (q[i] - xs[lo]) / (xs[lo + 1] - xs[lo]);
        double v = ys[lo] * (1 - s) + ys[lo + 1] * s;
        double e = v - tg[i];
        f += e * e + q[i] * v;
    }
    return f;
}

__attribute__((noinline)) void interp_hand(long n, long k, const double *restrict xs, const double *restrict tg,
                                           const double *restrict ys, const double *restrict q, double *restrict yb,
                                           double *restrict qb) {
    for (long i = 0; i < n; i++) {
        long lo = find(k, xs, q[i]);
        double h = 1 / (xs[lo + 1] - xs[lo]);
        double s = (q[i] - xs[lo]) * h;
        double v = ys[lo] * (1 - s) + ys[lo + 1] * s;
        double vb = 2 * (v - tg[i]) + q[i];
        yb[lo] += vb * (1 - s);
        yb[lo + 1] += vb * s;
        qb[i] += v + vb * (ys[lo + 1] - ys[lo]) * h;
    }
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 200000;
    K = nsizes > 1 ? sizes[1] : 1000;
    X = bench_xmalloc(sizeof(double) * (K + N));
    XS = bench_xmalloc(sizeof(double) * K);
    TG = bench_xmalloc(sizeof(double) * N);
    XS[0] = 0;
    for (long j = 1; j < K; j++) XS[j] = XS[j - 1] + 0.5 + bench_urand(131, j);
    bench_fill(X, K, 132, -1, 1);
    for (long i = 0; i < N; i++) X[K + i] = XS[K - 1] * (0.001 + 0.998 * bench_urand(133, i));
    bench_fill(TG, N, 134, -1, 1);
    info->nparams = K + N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld k=%ld", N, K);
    info->size_metric = (double)N;
    /* queries sit near knots, where f has kinks: a small step keeps most differences on one piece */
    info->fd_step = 1e-7;
    return 0;
}
double bench_primal(void) { return interp(N, K, XS, TG, X, X + K); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (K + N));
    __enzyme_autodiff((void *)interp, enzyme_const, N, enzyme_const, K, enzyme_const, XS, enzyme_const, TG, enzyme_dup, X,
                      g, enzyme_dup, X + K, g + K);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (K + N));
    interp_hand(N, K, XS, TG, X, X + K, g, g + K);
}
