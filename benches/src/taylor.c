/*
 * taylor — f(x) = sum_{i=1..N} x^i / i  (the series of -log(1-x)), N = 10^6.
 * Issue 6: the derivative of a long scalar loop must cost at most 2x the
 * primal (nothing needs to be taped: x is loop-invariant, i is an induction
 * variable).
 * Parameters: x (one scalar). Size argument: N.
 * Hand-written adjoint: df/dx = sum_{i=1..N} x^(i-1), written with the same
 * pow() call per term as the primal (no strength reduction, for a like-for-like
 * comparison).
 */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>

const char *bench_name = "taylor";

static long N;
static double X[1];

__attribute__((noinline)) double taylor(double x, long n) {
    double s = 0;
    for (long i = 1; i <= n; i++) s += pow(x, (double)i) / (double)i;
    return s;
}

__attribute__((noinline)) double taylor_grad_hand(double x, long n) {
    double d = 0;
    for (long i = 1; i <= n; i++) d += pow(x, (double)(i - 1));
    return d;
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 1000000;
    X[0] = 0.999;
    info->nparams = 1;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "N=%ld", N);
    info->size_metric = (double)N;
    info->fd_step = 1e-6;
    info->fd_rtol = 1e-5;
    return N > 0 ? 0 : 1;
}

double bench_primal(void) { return taylor(X[0], N); }

void bench_grad_ferment(double *g) { g[0] = __enzyme_autodiff((void *)taylor, X[0], enzyme_const, N); }

void bench_grad_hand(double *g) { g[0] = taylor_grad_hand(X[0], N); }
