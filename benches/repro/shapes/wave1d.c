/* wave1d: sine-Gordon equation u_tt = u_xx - sin(u) on a periodic grid, leapfrog over T steps with three
 * rotating buffers: u_{k+1} = 2u_k - u_{k-1} + c2 (u_k[i+1] - 2u_k[i] + u_k[i-1]) - dt2 sin(u_k);
 * u_1 = u_0 + dt v_0; f = 0.5 |u_T|^2. Params: u_0, v_0 (n each). Sizes: n T (the tape: T states).
 * Hand adjoint: stores every state; a_T = u_T, then for k = T-1..1: a_k += J_k^T a_{k+1}, a_{k-1} =
 * -a_{k+1}, with (J^T a)_i = (2 - 2 c2 - dt2 cos u_k[i]) a_i + c2 (a_{i-1} + a_{i+1}). */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "wave1d";
static long N, T;
static double *X;
#define DT 0.05
#define C2 0.16 /* (c dt / dx)^2 */

__attribute__((noinline)) double wave1d(long n, long t, const double *restrict u0, const double *restrict v0) {
    double *um = malloc(sizeof(double) * n), *u = malloc(sizeof(double) * n), *up = malloc(sizeof(double) * n);
    for (long i = 0; i < n; i++) {
        um[i] = u0[i];
        u[i] = u0[i] + DT * v0[i];
    }
    for (long k = 1; k < t; k++) {
        for (long i = 0; i < n; i++) {
            double l = u[i == 0 ? n - 1 : i - 1], r = u[i == n - 1 ? 0 : i + 1];
            up[i] = 2 * u[i] - um[i] + C2 * (l - 2 * u[i] + r) - DT * DT * sin(u[i]);
        }
        double *w = um;
        um = u;
        u = up;
        up = w;
    }
    double f = 0;
    for (long i = 0; i < n; i++) f += u[i] * u[i];
    free(um); free(u); free(up);
    return 0.5 * f;
}

__attribute__((noinline)) void wave1d_hand(long n, long t, const double *restrict u0, const double *restrict v0,
                                           double *restrict gu, double *restrict gv) {
    double *st = malloc(sizeof(double) * n * (t + 1));
    double *a1 = malloc(sizeof(double) * n), *a0 = malloc(sizeof(double) * n), *a2 = malloc(sizeof(double) * n);
    for (long i = 0; i < n; i++) {
        st[i] = u0[i];
        st[n + i] = u0[i] + DT * v0[i];
    }
    for (long k = 1; k < t; k++) {
        const double *u = st + k * n, *um = st + (k - 1) * n;
        double *up = st + (k + 1) * n;
        for (long i = 0; i < n; i++) {
            double l = u[i == 0 ? n - 1 : i - 1], r = u[i == n - 1 ? 0 : i + 1];
            up[i] = 2 * u[i] - um[i] + C2 * (l - 2 * u[i] + r) - DT * DT * sin(u[i]);
        }
    }
    /* a2 = a_{k+1} (complete), a1 = partial a_k */
    for (long i = 0; i < n; i++) {
        a2[i] = st[t * n + i];
        a1[i] = 0;
    }
    for (long k = t - 1; k >= 1; k--) {
        const double *u = st + k * n;
        for (long i = 0; i < n; i++) {
            double l = a2[i == 0 ? n - 1 : i - 1], r = a2[i == n - 1 ? 0 : i + 1];
            a1[i] += (2 - 2 * C2 - DT * DT * cos(u[i])) * a2[i] + C2 * (l + r);
            a0[i] = -a2[i];
        }
        double *w = a2;
        a2 = a1;
        a1 = a0;
        a0 = w;
    }
    /* a2 = a_1, a1 = a_0 */
    for (long i = 0; i < n; i++) {
        gu[i] += a1[i] + a2[i];
        gv[i] += DT * a2[i];
    }
    free(st); free(a0); free(a1); free(a2);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 2000;
    T = nsizes > 1 ? sizes[1] : 1000;
    X = bench_xmalloc(sizeof(double) * 2 * N);
    for (long i = 0; i < N; i++) {
        X[i] = 2 * sin(2 * M_PI * i / N) + 0.3 * bench_urand(221, i);
        X[N + i] = 0.5 * cos(4 * M_PI * i / N) + 0.1 * bench_urand(222, i);
    }
    info->nparams = 2 * N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld T=%ld", N, T);
    info->size_metric = (double)N * T;
    info->fd_step = 1e-6;
    info->fd_rtol = 1e-4;
    return 0;
}
double bench_primal(void) { return wave1d(N, T, X, X + N); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 2 * N);
    __enzyme_autodiff((void *)wave1d, enzyme_const, N, enzyme_const, T, enzyme_dup, X, g, enzyme_dup, X + N, g + N);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 2 * N);
    wave1d_hand(N, T, X, X + N, g, g + N);
}
