/* heat2d: T explicit steps of a 2-D periodic diffusion-advection-reaction stencil on an n x n grid,
 *   v = u + k (u_E + u_W + u_N + u_S - 4u) - a (u_E - u_W) - 0.1 dt u^3, neighbours (i +- 1) % n,
 * two buffers swapped each step; f = 0.5 |u_T|^2. Params: u0 (n*n) then k. Sizes: n T.
 * Hand adjoint: keeps every state ((T+1) n^2 doubles), reverse sweep with the transposed stencil. */
#include "bench.h"
#include <ferment.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "heat2d";
static long N, T;
static double *X;
#define ADV 0.05
#define RDT 0.01

__attribute__((noinline)) double heat(long n, long steps, const double *restrict u0, const double *restrict kp) {
    double *u = malloc(sizeof(double) * n * n), *v = malloc(sizeof(double) * n * n);
    double k = *kp;
    memcpy(u, u0, sizeof(double) * n * n);
    for (long t = 0; t < steps; t++) {
        for (long i = 0; i < n; i++)
            for (long j = 0; j < n; j++) {
                long ip = (i + 1) % n, im = (i + n - 1) % n, jp = (j + 1) % n, jm = (j + n - 1) % n;
                double c = u[i * n + j];
                double e = u[i * n + jp], w = u[i * n + jm];
                v[i * n + j] = c + k * (e + w + u[ip * n + j] + u[im * n + j] - 4 * c) - ADV * (e - w) - RDT * c * c * c;
            }
        double *tmp = u;
        u = v;
        v = tmp;
    }
    double f = 0;
    for (long i = 0; i < n * n; i++) f += u[i] * u[i];
    free(u);
    free(v);
    return 0.5 * f;
}

__attribute__((noinline)) void heat_hand(long n, long steps, const double *restrict u0, const double *restrict kp,
                                         double *restrict u0b, double *restrict kb) {
    long m = n * n;
    double *us = malloc(sizeof(double) * m * (steps + 1));
    double *ub = malloc(sizeof(double) * m), *vb = malloc(sizeof(double) * m);
    double k = *kp, kacc = 0;
    memcpy(us, u0, sizeof(double) * m);
    for (long t = 0; t < steps; t++) {
        const double *u = us + t * m;
        double *v = us + (t + 1) * m;
        for (long i = 0; i < n; i++)
            for (long j = 0; j < n; j++) {
                long ip = (i + 1) % n, im = (i + n - 1) % n, jp = (j + 1) % n, jm = (j + n - 1) % n;
                double c = u[i * n + j];
                double e = u[i * n + jp], w = u[i * n + jm];
                v[i * n + j] = c + k * (e + w + u[ip * n + j] + u[im * n + j] - 4 * c) - ADV * (e - w) - RDT * c * c * c;
            }
    }
    for (long i = 0; i < m; i++) vb[i] = us[steps * m + i]; /* vb = adjoint of the current state */
    for (long t = steps - 1; t >= 0; t--) {
        const double *u = us + t * m;
        for (long i = 0; i < m; i++) ub[i] = 0;
        for (long i = 0; i < n; i++)
            for (long j = 0; j < n; j++) {
                long ip = (i + 1) % n, im = (i + n - 1) % n, jp = (j + 1) % n, jm = (j + n - 1) % n;
                double c = u[i * n + j], b = vb[i * n + j];
                kacc += b * (u[i * n + jp] + u[i * n + jm] + u[ip * n + j] + u[im * n + j] - 4 * c);
                ub[i * n + j] += b * (1 - 4 * k - 3 * RDT * c * c);
                ub[i * n + jp] += b * (k - ADV);
                ub[i * n + jm] += b * (k + ADV);
                ub[ip * n + j] += b * k;
                ub[im * n + j] += b * k;
            }
        double *tmp = ub;
        ub = vb;
        vb = tmp;
    }
    for (long i = 0; i < m; i++) u0b[i] += vb[i];
    *kb += kacc;
    free(us);
    free(ub);
    free(vb);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 128;
    T = nsizes > 1 ? sizes[1] : 50;
    X = bench_xmalloc(sizeof(double) * (N * N + 1));
    bench_fill(X, N * N, 21, -1, 1);
    X[N * N] = 0.1;
    info->nparams = N * N + 1;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld T=%ld", N, T);
    info->size_metric = (double)N * N * T;
    return 0;
}
double bench_primal(void) { return heat(N, T, X, X + N * N); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (N * N + 1));
    __enzyme_autodiff((void *)heat, enzyme_const, N, enzyme_const, T, enzyme_dup, X, g, enzyme_dup, X + N * N,
                      g + N * N);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (N * N + 1));
    heat_hand(N, T, X, X + N * N, g, g + N * N);
}
