/* adi: 2-D heat equation with a source, Peaceman-Rachford ADI on an n x n grid (zero Dirichlet
 * boundary), diffusivity varying in space (fixed), T steps. Each step: implicit in x (a Thomas
 * solve per row, explicit in y), then implicit in y (a Thomas solve per column, strided, explicit
 * in x). f = 0.5 sum u_T^2. Params: u0 (n^2), source s (n^2). Sizes: n T.
 * Hand adjoint: the step is linear, u' = B2^-1 (A2 B1^-1 (A1 u + g) + g) with g = dt/2 s, and the
 * flux-form operators are symmetric, so the adjoint step applies the same four operators in the
 * reverse order (solve in y, apply in x, solve in x, apply in y) and nothing is stored. */
#include "bench.h"
#include <ferment.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "adi";
static long N, T;
static double *X, *KX, *KY;
static const double R = 0.4, HDT = 0.005;

/* (L_x u)[j][i] = kx[j][i+1] (u[j][i+1] - u[j][i]) - kx[j][i] (u[j][i] - u[j][i-1]); kx is n x (n+1)
 * (faces), u outside the grid is 0. Likewise L_y with ky (n+1) x n. */
__attribute__((noinline)) double adi(long n, long nt, const double *restrict kx, const double *restrict ky,
                                     const double *restrict u0, const double *restrict src) {
    double *u = malloc(sizeof(double) * n * n), *v = malloc(sizeof(double) * n * n);
    double *cp = malloc(sizeof(double) * n), *dp = malloc(sizeof(double) * n);
    memcpy(u, u0, sizeof(double) * n * n);
    for (long t = 0; t < nt; t++) {
        /* x-implicit: per row j, (1 - R L_x) v = (1 + R L_y) u + HDT s */
        for (long j = 0; j < n; j++) {
            for (long i = 0; i < n; i++) {
                double up = j > 0 ? u[(j - 1) * n + i] : 0, dn = j < n - 1 ? u[(j + 1) * n + i] : 0;
                double d = u[j * n + i] + R * (ky[(j + 1) * n + i] * (dn - u[j * n + i]) - ky[j * n + i] * (u[j * n + i] - up)) +
                           HDT * src[j * n + i];
                double a = -R * kx[j * (n + 1) + i], c = -R * kx[j * (n + 1) + i + 1];
                double b = 1 - a - c;
                double den = i > 0 ? b - a * cp[i - 1] : b;
                cp[i] = c / den;
                dp[i] = (i > 0 ? d - a * dp[i - 1] : d) / den;
            }
            v[j * n + n - 1] = dp[n - 1];
            for (long i = n - 2; i >= 0; i--) v[j * n + i] = dp[i] - cp[i] * v[j * n + i + 1];
        }
        /* y-implicit: per column i, (1 - R L_y) u = (1 + R L_x) v + HDT s */
        for (long i = 0; i < n; i++) {
            for (long j = 0; j < n; j++) {
                double lf = i > 0 ? v[j * n + i - 1] : 0, rt = i < n - 1 ? v[j * n + i + 1] : 0;
                double d = v[j * n + i] + R * (kx[j * (n + 1) + i + 1] * (rt - v[j * n + i]) - kx[j * (n + 1) + i] * (v[j * n + i] - lf)) +
                           HDT * src[j * n + i];
                double a = -R * ky[j * n + i], c = -R * ky[(j + 1) * n + i];
                double b = 1 - a - c;
                double den = j > 0 ? b - a * cp[j - 1] : b;
                cp[j] = c / den;
                dp[j] = (j > 0 ? d - a * dp[j - 1] : d) / den;
            }
            u[(n - 1) * n + i] = dp[n - 1];
            for (long j = n - 2; j >= 0; j--) u[j * n + i] = dp[j] - cp[j] * u[(j + 1) * n + i];
        }
    }
    double f = 0;
    for (long k = 0; k < n * n; k++) f += 0.5 * u[k] * u[k];
    free(u);
    free(v);
    free(cp);
    free(dp);
    return f;
}

/* out = (1 + R L_y) w (dir 0) or (1 + R L_x) w (dir 1) */
static void apply_op(long n, int dir, const double *kx, const double *ky, const double *w, double *out) {
    for (long j = 0; j < n; j++)
        for (long i = 0; i < n; i++) {
            double c = w[j * n + i];
            if (dir == 0) {
                double up = j > 0 ? w[(j - 1) * n + i] : 0, dn = j < n - 1 ? w[(j + 1) * n + i] : 0;
                out[j * n + i] = c + R * (ky[(j + 1) * n + i] * (dn - c) - ky[j * n + i] * (c - up));
            } else {
                double lf = i > 0 ? w[j * n + i - 1] : 0, rt = i < n - 1 ? w[j * n + i + 1] : 0;
                out[j * n + i] = c + R * (kx[j * (n + 1) + i + 1] * (rt - c) - kx[j * (n + 1) + i] * (c - lf));
            }
        }
}

/* w := (1 - R L) ^-1 w, L = L_x along rows (dir 1) or L_y along columns (dir 0), in place */
static void solve_op(long n, int dir, const double *kx, const double *ky, double *w, double *cp, double *dp) {
    for (long l = 0; l < n; l++) {
        for (long m = 0; m < n; m++) {
            long k = dir == 1 ? l * n + m : m * n + l;
            double a = dir == 1 ? -R * kx[l * (n + 1) + m] : -R * ky[m * n + l];
            double c = dir == 1 ? -R * kx[l * (n + 1) + m + 1] : -R * ky[(m + 1) * n + l];
            double den = (1 - a - c) - (m > 0 ? a * cp[m - 1] : 0);
            cp[m] = c / den;
            dp[m] = (w[k] - (m > 0 ? a * dp[m - 1] : 0)) / den;
        }
        long st = dir == 1 ? 1 : n, k0 = dir == 1 ? l * n : l;
        w[k0 + (n - 1) * st] = dp[n - 1];
        for (long m = n - 2; m >= 0; m--) w[k0 + m * st] = dp[m] - cp[m] * w[k0 + (m + 1) * st];
    }
}

__attribute__((noinline)) void adi_hand(long n, long nt, const double *kx, const double *ky, const double *u0,
                                        const double *src, double *u0b, double *srcb) {
    double *u = malloc(sizeof(double) * n * n), *v = malloc(sizeof(double) * n * n);
    double *cp = malloc(sizeof(double) * n), *dp = malloc(sizeof(double) * n);
    double *gb = calloc(n * n, sizeof(double));
    memcpy(u, u0, sizeof(double) * n * n);
    for (long t = 0; t < nt; t++) {
        apply_op(n, 0, kx, ky, u, v);
        for (long k = 0; k < n * n; k++) v[k] += HDT * src[k];
        solve_op(n, 1, kx, ky, v, cp, dp);
        apply_op(n, 1, kx, ky, v, u);
        for (long k = 0; k < n * n; k++) u[k] += HDT * src[k];
        solve_op(n, 0, kx, ky, u, cp, dp);
    }
    /* u holds u_T = ubar_T */
    for (long t = 0; t < nt; t++) {
        solve_op(n, 0, kx, ky, u, cp, dp);
        for (long k = 0; k < n * n; k++) gb[k] += u[k];
        apply_op(n, 1, kx, ky, u, v);
        solve_op(n, 1, kx, ky, v, cp, dp);
        for (long k = 0; k < n * n; k++) gb[k] += v[k];
        apply_op(n, 0, kx, ky, v, u);
    }
    for (long k = 0; k < n * n; k++) {
        u0b[k] += u[k];
        srcb[k] += HDT * gb[k];
    }
    free(u);
    free(v);
    free(cp);
    free(dp);
    free(gb);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 128;
    T = nsizes > 1 ? sizes[1] : 50;
    X = bench_xmalloc(sizeof(double) * 2 * N * N);
    KX = bench_xmalloc(sizeof(double) * N * (N + 1));
    KY = bench_xmalloc(sizeof(double) * N * (N + 1));
    bench_fill(X, N * N, 141, 0, 1);
    bench_fill(X + N * N, N * N, 142, -1, 1);
    bench_fill(KX, N * (N + 1), 143, 0.5, 2);
    bench_fill(KY, N * (N + 1), 144, 0.5, 2);
    info->nparams = 2 * N * N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld T=%ld", N, T);
    info->size_metric = (double)(N * N * T);
    info->fd_step = 1e-2; /* f is quadratic: central differences are exact but for rounding */
    return 0;
}
double bench_primal(void) { return adi(N, T, KX, KY, X, X + N * N); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 2 * N * N);
    __enzyme_autodiff((void *)adi, enzyme_const, N, enzyme_const, T, enzyme_const, KX, enzyme_const, KY, enzyme_dup, X, g,
                      enzyme_dup, X + N * N, g + N * N);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 2 * N * N);
    adi_hand(N, T, KX, KY, X, X + N * N, g, g + N * N);
}
