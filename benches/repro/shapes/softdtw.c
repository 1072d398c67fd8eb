/* softdtw: soft dynamic time warping (Cuturi & Blondel 2017) between two multivariate series,
 * D_ij = |x_i - y_j|^2 into a scratch matrix, R_ij = D_ij + softmin_g(R_{i-1,j-1}, R_{i-1,j}, R_{i,j-1})
 * over an (n+1) x (m+1) scratch table whose first row and column are +INFINITY (R_00 = 0),
 * softmin_g(a, b, c) = min - g log sum exp(-(r - min) / g); f = R_nm. Params: x (n x d), y (m x d).
 * Sizes: n m d. Hand adjoint: E_nm = 1, walking the cells backwards E_prev += E_ij exp((R_ij - D_ij
 * - r_prev) / g) (the softmin's weights, recomputed), then dx_i = sum_j E_ij 2 (x_i - y_j), dy_j = -... */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "softdtw";
static long N, M, Dd;
static double *X;
#define GAMMA 0.5

static inline double softmin3(double a, double b, double c) {
    double lo = fmin(a, fmin(b, c));
    double s = exp(-(a - lo) / GAMMA) + exp(-(b - lo) / GAMMA) + exp(-(c - lo) / GAMMA);
    return lo - GAMMA * log(s);
}

__attribute__((noinline)) double softdtw(long n, long m, long d, const double *restrict x, const double *restrict y) {
    double *D = malloc(sizeof(double) * n * m);
    double *R = malloc(sizeof(double) * (n + 1) * (m + 1));
    for (long i = 0; i < n; i++)
        for (long j = 0; j < m; j++) {
            double s = 0;
            for (long k = 0; k < d; k++) {
                double t = x[i * d + k] - y[j * d + k];
                s += t * t;
            }
            D[i * m + j] = s;
        }
    long w = m + 1;
    R[0] = 0;
    for (long j = 1; j <= m; j++) R[j] = INFINITY;
    for (long i = 1; i <= n; i++) {
        R[i * w] = INFINITY;
        for (long j = 1; j <= m; j++)
            R[i * w + j] = D[(i - 1) * m + j - 1] + softmin3(R[(i - 1) * w + j - 1], R[(i - 1) * w + j], R[i * w + j - 1]);
    }
    double f = R[n * w + m];
    free(D);
    free(R);
    return f;
}

__attribute__((noinline)) void softdtw_hand(long n, long m, long d, const double *restrict x, const double *restrict y,
                                            double *restrict gx, double *restrict gy) {
    double *D = malloc(sizeof(double) * n * m);
    double *R = malloc(sizeof(double) * (n + 1) * (m + 1));
    double *E = calloc((n + 1) * (m + 1), sizeof(double));
    for (long i = 0; i < n; i++)
        for (long j = 0; j < m; j++) {
            double s = 0;
            for (long k = 0; k < d; k++) {
                double t = x[i * d + k] - y[j * d + k];
                s += t * t;
            }
            D[i * m + j] = s;
        }
    long w = m + 1;
    R[0] = 0;
    for (long j = 1; j <= m; j++) R[j] = INFINITY;
    for (long i = 1; i <= n; i++) {
        R[i * w] = INFINITY;
        for (long j = 1; j <= m; j++)
            R[i * w + j] = D[(i - 1) * m + j - 1] + softmin3(R[(i - 1) * w + j - 1], R[(i - 1) * w + j], R[i * w + j - 1]);
    }
    E[n * w + m] = 1;
    for (long i = n; i >= 1; i--)
        for (long j = m; j >= 1; j--) {
            double e = E[i * w + j];
            double s = R[i * w + j] - D[(i - 1) * m + j - 1]; /* the softmin's value */
            E[(i - 1) * w + j - 1] += e * exp((s - R[(i - 1) * w + j - 1]) / GAMMA);
            E[(i - 1) * w + j] += e * exp((s - R[(i - 1) * w + j]) / GAMMA);
            E[i * w + j - 1] += e * exp((s - R[i * w + j - 1]) / GAMMA);
        }
    for (long i = 0; i < n; i++)
        for (long j = 0; j < m; j++) {
            double e = 2 * E[(i + 1) * w + j + 1];
            for (long k = 0; k < d; k++) {
                double t = e * (x[i * d + k] - y[j * d + k]);
                gx[i * d + k] += t;
                gy[j * d + k] -= t;
            }
        }
    free(D);
    free(R);
    free(E);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 512;
    M = nsizes > 1 ? sizes[1] : 512;
    Dd = nsizes > 2 ? sizes[2] : 4;
    X = bench_xmalloc(sizeof(double) * (N + M) * Dd);
    /* two noisy sines of different phase and speed */
    for (long i = 0; i < N; i++)
        for (long k = 0; k < Dd; k++)
            X[i * Dd + k] = sin(0.02 * i + 0.7 * k) + 0.1 * (bench_urand(301, i * Dd + k) - 0.5);
    for (long j = 0; j < M; j++)
        for (long k = 0; k < Dd; k++)
            X[(N + j) * Dd + k] = sin(0.025 * j + 0.7 * k + 0.3) + 0.1 * (bench_urand(302, j * Dd + k) - 0.5);
    info->nparams = (N + M) * Dd;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld m=%ld d=%ld", N, M, Dd);
    info->size_metric = (double)N * M;
    return 0;
}
double bench_primal(void) { return softdtw(N, M, Dd, X, X + N * Dd); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (N + M) * Dd);
    __enzyme_autodiff((void *)softdtw, enzyme_const, N, enzyme_const, M, enzyme_const, Dd, enzyme_dup, X, g, enzyme_dup,
                      X + N * Dd, g + N * Dd);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (N + M) * Dd);
    softdtw_hand(N, M, Dd, X, X + N * Dd, g, g + N * Dd);
}
