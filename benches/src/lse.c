/*
 * lse — softmax cross-entropy over one long vector (issue 19: log-sum-exp at
 * n = 1.28 million), written the way the ADBench C sources are: `int`
 * indices and small external helpers (arr_max, log_sum_exp, dot).
 *
 *   f(x) = log_sum_exp(x) - sum_i t_i x_i,   log_sum_exp(x) = log sum_i exp(x_i - max x) + max x
 * with t a fixed target distribution (t_i >= 0, sum t_i = 1).
 * Parameters: x (n). Size argument: n.
 * Hand-written adjoint: df/dx_i = exp(x_i - lse) - t_i; the exponentials
 * of the forward sum are kept in the gradient array, so one exp per element.
 */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bench_name = "lse";

static long N;
static double *X, *T;

/* ---------------- primal, ADBench style ---------------- */
double arr_max(int n, const double *x) {
    double m = x[0];
    for (int i = 1; i < n; i++)
        if (m < x[i]) m = x[i];
    return m;
}

double log_sum_exp(int n, const double *x) {
    double mx = arr_max(n, x);
    double semx = 0.;
    for (int i = 0; i < n; i++) semx = semx + exp(x[i] - mx);
    return log(semx) + mx;
}

double dot(int n, const double *a, const double *b) {
    double s = 0.;
    for (int i = 0; i < n; i++) s = s + a[i] * b[i];
    return s;
}

__attribute__((noinline)) double softmax_loss(int n, const double *x, const double *t) {
    return log_sum_exp(n, x) - dot(n, t, x);
}

/* ---------------- hand-written adjoint (accumulates into dx) ---------------- */
__attribute__((noinline)) void softmax_loss_adjoint(int n, const double *x, const double *t, double df,
                                                    double *dx) {
    double mx = arr_max(n, x);
    double s = 0.;
    for (int i = 0; i < n; i++) {
        double e = exp(x[i] - mx);
        s += e;
        dx[i] = e; /* dx is zero on entry here (bench_grad_hand clears it) */
    }
    double r = df / s;
    for (int i = 0; i < n; i++) dx[i] = dx[i] * r - df * t[i];
}

/* ---------------- bench interface ---------------- */
int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 1280000;
    if (N < 1 || N > 0x7fffffffL) return 1;
    X = bench_xmalloc(sizeof(double) * N);
    T = bench_xmalloc(sizeof(double) * N);
    bench_fill(X, N, 21, -3, 3);
    bench_fill(T, N, 22, 0, 1);
    double s = 0;
    for (long i = 0; i < N; i++) s += T[i];
    for (long i = 0; i < N; i++) T[i] /= s;
    info->nparams = N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld", N);
    info->size_metric = (double)N;
    /* the entries of the gradient are O(1/n) against f = O(log n): central differences need a
     * larger step than the default to rise above the rounding of f */
    info->fd_step = 1e-3;
    info->fd_rtol = 1e-4;
    /* the program differentiates its max too: d lse/d max = 1 - sum_i p_i, zero in exact
     * arithmetic but O(n eps) after summing n terms, lands on the argmax entry; the
     * hand-written adjoint leaves it out. Relative to max |g| = O(1/n) that is O(n^2 eps). */
    info->ad_rtol = 1e-6;
    return 0;
}

double bench_primal(void) { return softmax_loss((int)N, X, T); }

void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * N);
    __enzyme_autodiff((void *)softmax_loss, enzyme_const, (int)N, enzyme_dup, X, g, enzyme_const, T);
}

void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * N);
    softmax_loss_adjoint((int)N, X, T, 1.0, g);
}
