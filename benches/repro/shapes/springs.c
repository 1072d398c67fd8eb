/* springs: a 3-D chain of n masses, E = sum_i 0.5 ks (|x_{i+1} - x_i| - L0)^2
 *   + sum_{i, i+2 <= j < i+W} 0.5 kr (rc - r_ij)^2 for r_ij < rc (soft repulsion with a cutoff).
 * Params: positions (3n). Size: n. Hand adjoint: the pair forces. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
const char *bench_name = "springs";
static long N;
static double *X;
#define KS 10.0
#define L0 1.0
#define KR 5.0
#define RC 1.5
#define WIN 16

__attribute__((noinline)) double chain(long n, const double *restrict x) {
    double e = 0;
    for (long i = 0; i + 1 < n; i++) {
        double dx = x[3 * i + 3] - x[3 * i], dy = x[3 * i + 4] - x[3 * i + 1], dz = x[3 * i + 5] - x[3 * i + 2];
        double r = sqrt(dx * dx + dy * dy + dz * dz) - L0;
        e += 0.5 * KS * r * r;
    }
    for (long i = 0; i < n; i++)
        for (long j = i + 2; j < n && j < i + WIN; j++) {
            double dx = x[3 * j] - x[3 * i], dy = x[3 * j + 1] - x[3 * i + 1], dz = x[3 * j + 2] - x[3 * i + 2];
            double r2 = dx * dx + dy * dy + dz * dz;
            if (r2 < RC * RC) {
                double s = RC - sqrt(r2);
                e += 0.5 * KR * s * s;
            }
        }
    return e;
}

__attribute__((noinline)) void chain_hand(long n, const double *restrict x, double *restrict g) {
    for (long i = 0; i + 1 < n; i++) {
        double dx = x[3 * i + 3] - x[3 * i], dy = x[3 * i + 4] - x[3 * i + 1], dz = x[3 * i + 5] - x[3 * i + 2];
        double d = sqrt(dx * dx + dy * dy + dz * dz);
        double c = KS * (d - L0) / d;
        g[3 * i + 3] += c * dx; g[3 * i + 4] += c * dy; g[3 * i + 5] += c * dz;
        g[3 * i] -= c * dx; g[3 * i + 1] -= c * dy; g[3 * i + 2] -= c * dz;
    }
    for (long i = 0; i < n; i++)
        for (long j = i + 2; j < n && j < i + WIN; j++) {
            double dx = x[3 * j] - x[3 * i], dy = x[3 * j + 1] - x[3 * i + 1], dz = x[3 * j + 2] - x[3 * i + 2];
            double r2 = dx * dx + dy * dy + dz * dz;
            if (r2 < RC * RC) {
                double r = sqrt(r2);
                double c = -KR * (RC - r) / r;
                g[3 * j] += c * dx; g[3 * j + 1] += c * dy; g[3 * j + 2] += c * dz;
                g[3 * i] -= c * dx; g[3 * i + 1] -= c * dy; g[3 * i + 2] -= c * dz;
            }
        }
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 20000;
    X = bench_xmalloc(sizeof(double) * 3 * N);
    /* a random walk with steps of about 0.9: some pairs inside the cutoff, some not */
    double p[3] = {0, 0, 0};
    for (long i = 0; i < N; i++) {
        for (int c = 0; c < 3; c++) {
            p[c] += 0.9 * (bench_urand(41, 3 * i + c) - 0.5) * 1.2;
            X[3 * i + c] = p[c];
        }
    }
    info->nparams = 3 * N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld", N);
    info->size_metric = (double)N;
    return 0;
}
double bench_primal(void) { return chain(N, X); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 3 * N);
    __enzyme_autodiff((void *)chain, enzyme_const, N, enzyme_dup, X, g);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 3 * N);
    chain_hand(N, X, g);
}
