/* implicit: 1-D Allen-Cahn-like reaction-diffusion u_t = D u_xx - u^3 + s(x) (zero Dirichlet ends),
 * T implicit Euler steps; each step solves F(v) = v - u - dt (D L v - v^3 + s) = 0 by Newton's
 * method with a convergence test (max |F| <= TOL, at most 30 iterations), the tridiagonal Jacobian
 * J = I - dt (D L - 3 diag(v^2)) solved by the Thomas algorithm into scratch arrays.
 * f = 0.5 |u_T - target|^2. Params: u0 (n), s (n). Sizes: n T.
 * Hand adjoint (implicit function theorem, states stored): lam = u_T - target; per step backwards,
 * mu = J(u_{k+1})^{-1} lam (J symmetric), g_s += dt mu, lam = mu; g_u0 = lam. Differentiating the
 * Newton iterations instead agrees to the converged residual, hence ad_rtol 1e-8. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "implicit";
static long N, T;
static double *X, *TGT;
#define DIFF 0.01
#define DT 0.002
#define TOL 1e-12

/* solve J z = r, J = tridiag(-c, 1 + 2c + 3 dt v^2, -c), c = dt D / h^2 */
static void jsolve(long n, double c, const double *v, const double *r, double *cp, double *z) {
    double b = 1 + 2 * c + 3 * DT * v[0] * v[0];
    cp[0] = -c / b;
    z[0] = r[0] / b;
    for (long i = 1; i < n; i++) {
        double m = 1 + 2 * c + 3 * DT * v[i] * v[i] + c * cp[i - 1];
        cp[i] = -c / m;
        z[i] = (r[i] + c * z[i - 1]) / m;
    }
    for (long i = n - 2; i >= 0; i--) z[i] -= cp[i] * z[i + 1];
}

__attribute__((noinline)) double implicit(long n, long nt, const double *restrict u0, const double *restrict s,
                                          const double *restrict tgt) {
    double h = 1.0 / (n + 1), c = DT * DIFF / (h * h);
    double *u = malloc(sizeof(double) * n), *v = malloc(sizeof(double) * n);
    double *F = malloc(sizeof(double) * n), *cp = malloc(sizeof(double) * n), *z = malloc(sizeof(double) * n);
    memcpy(u, u0, sizeof(double) * n);
    for (long t = 0; t < nt; t++) {
        memcpy(v, u, sizeof(double) * n);
        for (int it = 0; it < 30; it++) {
            double res = 0;
            for (long i = 0; i < n; i++) {
                double vl = i > 0 ? v[i - 1] : 0, vr = i < n - 1 ? v[i + 1] : 0;
                F[i] = v[i] - u[i] - DT * (DIFF * (vl - 2 * v[i] + vr) / (h * h) - v[i] * v[i] * v[i] + s[i]);
                res = fmax(res, fabs(F[i]));
            }
            if (res <= TOL) break;
            jsolve(n, c, v, F, cp, z);
            for (long i = 0; i < n; i++) v[i] -= z[i];
        }
        memcpy(u, v, sizeof(double) * n);
    }
    double f = 0;
    for (long i = 0; i < n; i++) f += 0.5 * (u[i] - tgt[i]) * (u[i] - tgt[i]);
    free(u);
    free(v);
    free(F);
    free(cp);
    free(z);
    return f;
}

__attribute__((noinline)) void implicit_hand(long n, long nt, const double *restrict u0, const double *restrict s,
                                             const double *restrict tgt, double *restrict gu, double *restrict gs) {
    double h = 1.0 / (n + 1), c = DT * DIFF / (h * h);
    double *U = malloc(sizeof(double) * n * (nt + 1)), *F = malloc(sizeof(double) * n);
    double *cp = malloc(sizeof(double) * n), *z = malloc(sizeof(double) * n), *lam = malloc(sizeof(double) * n);
    memcpy(U, u0, sizeof(double) * n);
    for (long t = 0; t < nt; t++) {
        const double *u = U + t * n;
        double *v = U + (t + 1) * n;
        memcpy(v, u, sizeof(double) * n);
        for (int it = 0; it < 30; it++) {
            double res = 0;
            for (long i = 0; i < n; i++) {
                double vl = i > 0 ? v[i - 1] : 0, vr = i < n - 1 ? v[i + 1] : 0;
                F[i] = v[i] - u[i] - DT * (DIFF * (vl - 2 * v[i] + vr) / (h * h) - v[i] * v[i] * v[i] + s[i]);
                res = fmax(res, fabs(F[i]));
            }
            if (res <= TOL) break;
            jsolve(n, c, v, F, cp, z);
            for (long i = 0; i < n; i++) v[i] -= z[i];
        }
    }
    for (long i = 0; i < n; i++) lam[i] = U[nt * n + i] - tgt[i];
    for (long t = nt - 1; t >= 0; t--) {
        jsolve(n, c, U + (t + 1) * n, lam, cp, z);
        for (long i = 0; i < n; i++) {
            gs[i] += DT * z[i];
            lam[i] = z[i];
        }
    }
    for (long i = 0; i < n; i++) gu[i] += lam[i];
    free(U);
    free(F);
    free(cp);
    free(z);
    free(lam);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 1000;
    T = nsizes > 1 ? sizes[1] : 200;
    X = bench_xmalloc(sizeof(double) * 2 * N);
    TGT = bench_xmalloc(sizeof(double) * N);
    for (long i = 0; i < N; i++) {
        double x = (i + 1.0) / (N + 1);
        X[i] = sin(3.14159265358979 * x) + 0.2 * (bench_urand(401, i) - 0.5);
        X[N + i] = 2 * cos(7 * x) + 0.5 * (bench_urand(402, i) - 0.5);
        TGT[i] = 0.5 * sin(2 * 3.14159265358979 * x);
    }
    info->nparams = 2 * N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld T=%ld", N, T);
    info->size_metric = (double)N * T;
    info->fd_rtol = 1e-4;
    info->ad_rtol = 1e-8;
    return 0;
}
double bench_primal(void) { return implicit(N, T, X, X + N, TGT); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 2 * N);
    __enzyme_autodiff((void *)implicit, enzyme_const, N, enzyme_const, T, enzyme_dup, X, g, enzyme_dup, X + N, g + N,
                      enzyme_const, TGT);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 2 * N);
    implicit_hand(N, T, X, X + N, TGT, g, g + N);
}
