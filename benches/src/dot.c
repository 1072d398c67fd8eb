/*
 * dot — f(a, b) = sum_i a_i b_i over two duplicated arrays (issue 5).
 * Parameters: a (n) then b (n) in one flat vector. Size argument: n.
 * Hand-written adjoint: df/da = b, df/db = a.
 */
#include "bench.h"
#include <ferment.h>
#include <stdio.h>
#include <string.h>

const char *bench_name = "dot";

static long N;
static double *X;

__attribute__((noinline)) double dot(const double *restrict a, const double *restrict b, long n) {
    double s = 0;
    for (long i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

__attribute__((noinline)) void dot_grad_hand(const double *restrict a, const double *restrict b, long n,
                                             double *restrict da, double *restrict db) {
    for (long i = 0; i < n; i++) {
        da[i] += b[i];
        db[i] += a[i];
    }
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 1000000;
    X = bench_xmalloc(sizeof(double) * 2 * N);
    bench_fill(X, 2 * N, 11, -1.0, 1.0);
    info->nparams = 2 * N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld", N);
    info->size_metric = (double)N;
    return N > 0 ? 0 : 1;
}

double bench_primal(void) { return dot(X, X + N, N); }

void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 2 * N);
    __enzyme_autodiff((void *)dot, enzyme_dup, X, g, enzyme_dup, X + N, g + N, enzyme_const, N);
}

void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 2 * N);
    dot_grad_hand(X, X + N, N, g, g + N);
}
