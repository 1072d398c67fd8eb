/* spline: natural cubic spline through K nonuniform knots (abscissae fixed, values y active),
 * second derivatives M from the tridiagonal system (Thomas solve), evaluated at N active query
 * points found by binary search; f = sum_i (s(q_i) - t_i)^2 + sum_i w_i s(q_i)^2 / 2.
 * Params: y (K) then q (N). Sizes: N K.
 * Hand adjoint: per query, sbar -> ybar_k, ybar_k+1, Mbar_k, Mbar_k+1, qbar = sbar s'(q); the
 * system h_{i-1} M_{i-1} + 2 (h_{i-1} + h_i) M_i + h_i M_{i+1} = rhs_i is symmetric, so
 * rbar = A^-1 Mbar (same Thomas solve) and rhs_i = 6 ((y_{i+1} - y_i)/h_i - (y_i - y_{i-1})/h_{i-1}) gives ybar. */
#include "bench.h"
#include <ferment.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "spline";
static long N, K;
static double *X, *XS, *TG, *WQ;

static inline long find(long k, const double *xs, double q) {
    long lo = 0, hi = k - 1;
    while (hi - lo > 1) {
        long mid = (lo + hi) / 2;
        if (xs[mid] <= q) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* M[0] = M[k-1] = 0; interior rows 1..k-2 solved in place of rhs */
static void natural_m(long k, const double *xs, const double *y, double *M, double *cp) {
    M[0] = M[k - 1] = 0;
    for (long i = 1; i < k - 1; i++) {
        double h0 = xs[i] - xs[i - 1], h1 = xs[i + 1] - xs[i];
        double r = 6 * ((y[i + 1] - y[i]) / h1 - (y[i] - y[i - 1]) / h0);
        double b = 2 * (h0 + h1), a = i > 1 ? h0 : 0;
        double den = b - a * cp[i - 1];
        cp[i] = h1 / den;
        M[i] = (r - a * M[i - 1]) / den;
    }
    for (long i = k - 3; i >= 1; i--) M[i] -= cp[i] * M[i + 1];
}

__attribute__((noinline)) double spline(long n, long k, const double *restrict xs, const double *restrict tg,
                                        const double *restrict wq, const double *restrict y, const double *restrict q) {
    double *M = malloc(sizeof(double) * k), *cp = calloc(k, sizeof(double));
    natural_m(k, xs, y, M, cp);
    double f = 0;
    for (long i = 0; i < n; i++) {
        long lo = find(k, xs, q[i]);
        double h = xs[lo + 1] - xs[lo], A = xs[lo + 1] - q[i], B = q[i] - xs[lo];
        double s = (M[lo] * A * A * A + M[lo + 1] * B * B * B) / (6 * h) + (y[lo] / h - M[lo] * h / 6) * A +
                   (y[lo + 1] / h - M[lo + 1] * h / 6) * B;
        double e = s - tg[i];
        f += e * e + 0.5 * wq[i] * s * s;
    }
    free(M);
    free(cp);
    return f;
}

__attribute__((noinline)) void spline_hand(long n, long k, const double *restrict xs, const double *restrict tg,
                                           const double *restrict wq, const double *restrict y, const double *restrict q,
                                           double *restrict yb, double *restrict qb) {
    double *M = malloc(sizeof(double) * k), *cp = calloc(k, sizeof(double)), *Mb = calloc(k, sizeof(double));
    natural_m(k, xs, y, M, cp);
    for (long i = 0; i < n; i++) {
        long lo = find(k, xs, q[i]);
        double h = xs[lo + 1] - xs[lo], A = xs[lo + 1] - q[i], B = q[i] - xs[lo];
        double s = (M[lo] * A * A * A + M[lo + 1] * B * B * B) / (6 * h) + (y[lo] / h - M[lo] * h / 6) * A +
                   (y[lo + 1] / h - M[lo + 1] * h / 6) * B;
        double sb = 2 * (s - tg[i]) + wq[i] * s;
        double ds = (M[lo + 1] * B * B - M[lo] * A * A) / (2 * h) - (y[lo] / h - M[lo] * h / 6) +
                    (y[lo + 1] / h - M[lo + 1] * h / 6);
        qb[i] += sb * ds;
        yb[lo] += sb * A / h;
        yb[lo + 1] += sb * B / h;
        Mb[lo] += sb * (A * A * A / (6 * h) - h * A / 6);
        Mb[lo + 1] += sb * (B * B * B / (6 * h) - h * B / 6);
    }
    /* rbar = A^-1 Mbar over the interior (A symmetric): the same elimination with Mbar as right side */
    Mb[0] = Mb[k - 1] = 0;
    for (long i = 1; i < k - 1; i++) {
        double h0 = xs[i] - xs[i - 1], h1 = xs[i + 1] - xs[i];
        double b = 2 * (h0 + h1), a = i > 1 ? h0 : 0;
        double den = b - a * cp[i - 1];
        Mb[i] = (Mb[i] - a * Mb[i - 1]) / den;
    }
    for (long i = k - 3; i >= 1; i--) Mb[i] -= cp[i] * Mb[i + 1];
    for (long i = 1; i < k - 1; i++) {
        double h0 = xs[i] - xs[i - 1], h1 = xs[i + 1] - xs[i], r = 6 * Mb[i];
        yb[i + 1] += r / h1;
        yb[i] -= r / h1 + r / h0;
        yb[i - 1] += r / h0;
    }
    free(M);
    free(cp);
    free(Mb);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 200000;
    K = nsizes > 1 ? sizes[1] : 1000;
    X = bench_xmalloc(sizeof(double) * (K + N));
    XS = bench_xmalloc(sizeof(double) * K);
    TG = bench_xmalloc(sizeof(double) * N);
    WQ = bench_xmalloc(sizeof(double) * N);
    XS[0] = 0;
    for (long j = 1; j < K; j++) XS[j] = XS[j - 1] + 0.5 + bench_urand(151, j);
    bench_fill(X, K, 152, -1, 1);
    for (long i = 0; i < N; i++) X[K + i] = XS[K - 1] * (0.001 + 0.998 * bench_urand(153, i));
    bench_fill(TG, N, 154, -1, 1);
    bench_fill(WQ, N, 155, 0, 1);
    info->nparams = K + N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld k=%ld", N, K);
    info->size_metric = (double)N;
    /* s is C2 but s''' jumps at the knots: a small step keeps most differences on one piece */
    info->fd_step = 1e-7;
    return 0;
}
double bench_primal(void) { return spline(N, K, XS, TG, WQ, X, X + K); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (K + N));
    __enzyme_autodiff((void *)spline, enzyme_const, N, enzyme_const, K, enzyme_const, XS, enzyme_const, TG, enzyme_const,
                      WQ, enzyme_dup, X, g, enzyme_dup, X + K, g + K);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (K + N));
    spline_hand(N, K, XS, TG, WQ, X, X + K, g, g + K);
}
