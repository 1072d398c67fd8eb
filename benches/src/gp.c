/*
 * gp — the negative log marginal likelihood of a Gaussian process, the way
 * C code computes it with LAPACK (issue 18):
 *
 *   K_ij = sf2 exp(-|x_i - x_j|^2 / (2 ell^2)) + noise [i == j]
 *   L = chol(K) (LAPACKE_dpotrf), a = K^-1 y (LAPACKE_dpotrs)
 *   f = 1/2 y^T a + sum_i log L_ii            (up to a constant)
 * Parameters (flat): the inputs x[n][d], then log ell and log sf.
 * Constants: targets y[n], noise. Sizes: n d.
 * The hand-written adjoint: K' = 1/2 (K^-1 - a a^T) (K^-1 by LAPACKE_dpotri),
 * then through the kernel. Link with -lopenblas -llapacke.
 */
#include "bench.h"
#include <ferment.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bench_name = "gp";

static long N_, D_;
static double *X;
static double *Y;
static const double NOISE = 0.1;

__attribute__((noinline)) double gp_objective(int n, int d, const double *x, const double *hyp, const double *y) {
    double ell2 = exp(2 * hyp[0]), sf2 = exp(2 * hyp[1]);
    double *K = malloc(sizeof(double) * n * n);
    double *a = malloc(sizeof(double) * n);
    for (int j = 0; j < n; j++)
        for (int i = j; i < n; i++) {
            double r2 = 0;
            for (int k = 0; k < d; k++) {
                double t = x[i * d + k] - x[j * d + k];
                r2 += t * t;
            }
            K[i + j * n] = sf2 * exp(-0.5 * r2 / ell2) + (i == j ? NOISE : 0.0);
        }
    LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, K, n);
    for (int i = 0; i < n; i++) a[i] = y[i];
    LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', n, 1, K, n, a, n);
    double f = 0;
    for (int i = 0; i < n; i++) f += 0.5 * y[i] * a[i] + log(K[i + i * n]);
    free(K);
    free(a);
    return f;
}

__attribute__((noinline)) void gp_grad_hand(int n, int d, const double *x, const double *hyp, const double *y,
                                            double *dx, double *dhyp) {
    double ell2 = exp(2 * hyp[0]), sf2 = exp(2 * hyp[1]);
    double *K = malloc(sizeof(double) * n * n);
    double *a = malloc(sizeof(double) * n);
    for (int j = 0; j < n; j++)
        for (int i = j; i < n; i++) {
            double r2 = 0;
            for (int k = 0; k < d; k++) {
                double t = x[i * d + k] - x[j * d + k];
                r2 += t * t;
            }
            K[i + j * n] = sf2 * exp(-0.5 * r2 / ell2) + (i == j ? NOISE : 0.0);
        }
    LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, K, n);
    for (int i = 0; i < n; i++) a[i] = y[i];
    LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', n, 1, K, n, a, n);
    LAPACKE_dpotri(LAPACK_COL_MAJOR, 'L', n, K, n); /* lower triangle of K^-1 */
    /* K' = 1/2 (K^-1 - a a^T); an off-diagonal lower entry stands for two */
    for (int j = 0; j < n; j++)
        for (int i = j; i < n; i++) {
            double kb = 0.5 * (K[i + j * n] - a[i] * a[j]) * (i == j ? 1.0 : 2.0);
            double r2 = 0;
            for (int k = 0; k < d; k++) {
                double t = x[i * d + k] - x[j * d + k];
                r2 += t * t;
            }
            double kij = sf2 * exp(-0.5 * r2 / ell2);
            double g = kb * kij;
            dhyp[0] += g * r2 / ell2;
            dhyp[1] += 2 * g;
            if (i != j)
                for (int k = 0; k < d; k++) {
                    double t = (x[i * d + k] - x[j * d + k]) / ell2;
                    dx[i * d + k] -= g * t;
                    dx[j * d + k] += g * t;
                }
        }
    free(K);
    free(a);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N_ = nsizes > 0 ? sizes[0] : 500;
    D_ = nsizes > 1 ? sizes[1] : 3;
    if (N_ < 1 || D_ < 1) return 1;
    long n = N_ * D_ + 2;
    X = bench_xmalloc(sizeof(double) * n);
    Y = bench_xmalloc(sizeof(double) * N_);
    bench_fill(X, N_ * D_, 71, 0, 1);
    X[N_ * D_] = log(0.5);
    X[N_ * D_ + 1] = 0.0;
    bench_fill(Y, N_, 73, -1, 1);
    info->nparams = n;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld d=%ld", N_, D_);
    info->size_metric = (double)N_;
    info->fd_coords = 30;
    /* f goes through a Cholesky factorization of K, whose condition number grows with n (about
     * sf2 n / noise: 1e4 at n = 1000), and so does the rounding error of f that central
     * differences divide by h; the harness's default 1e-5 assumes a well-conditioned f. The
     * ferment-vs-hand comparison (exact, no differencing) keeps its own tight tolerance. */
    info->fd_rtol = 1e-4;
    return 0;
}

double bench_primal(void) { return gp_objective(N_, D_, X, X + N_ * D_, Y); }

void bench_grad_ferment(double *g) {
    long o = N_ * D_;
    memset(g, 0, sizeof(double) * (o + 2));
    __enzyme_autodiff((void *)gp_objective, enzyme_const, (int)N_, enzyme_const, (int)D_, enzyme_dup, X, g,
                      enzyme_dup, X + o, g + o, enzyme_const, Y);
}

void bench_grad_hand(double *g) {
    long o = N_ * D_;
    memset(g, 0, sizeof(double) * (o + 2));
    gp_grad_hand(N_, D_, X, X + o, Y, g, g + o);
}
