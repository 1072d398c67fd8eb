/* fv1d: 1-D inviscid Burgers equation u_t + (u^2/2)_x = 0 on a periodic grid, finite volumes:
 * MUSCL reconstruction with the minmod limiter written with fmin/fmax
 * (s_i = max(0, min(a, b)) + min(0, max(a, b)), a = u_i - u_{i-1}, b = u_{i+1} - u_i),
 * Rusanov flux F = (uL^2 + uR^2)/4 - max(|uL|, |uR|) (uR - uL)/2, forward Euler for T steps,
 * two buffers swapped; f = 0.5 |u(T)|^2. Params: u(0) (n). Sizes: n T.
 * Hand adjoint: stores the state of every step, then per step in reverse recomputes slopes and
 * interface states and pulls the adjoint back through the flux, the limiter's chosen branch and
 * max(|uL|, |uR|). */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "fv1d";
static long N, T;
static double *X;
#define LAMBDA 0.2

static inline double minmod(double a, double b) { return fmax(0.0, fmin(a, b)) + fmin(0.0, fmax(a, b)); }

static void step(long n, const double *u, double *s, double *fl, double *un) {
    for (long i = 0; i < n; i++) {
        double um = u[i == 0 ? n - 1 : i - 1], up = u[i == n - 1 ? 0 : i + 1];
        s[i] = minmod(u[i] - um, up - u[i]);
    }
    /* fl[i] = flux through the interface i+1/2 */
    for (long i = 0; i < n; i++) {
        long ip = i == n - 1 ? 0 : i + 1;
        double ul = u[i] + 0.5 * s[i], ur = u[ip] - 0.5 * s[ip];
        double a = fmax(fabs(ul), fabs(ur));
        fl[i] = 0.25 * (ul * ul + ur * ur) - 0.5 * a * (ur - ul);
    }
    for (long i = 0; i < n; i++) un[i] = u[i] - LAMBDA * (fl[i] - fl[i == 0 ? n - 1 : i - 1]);
}

__attribute__((noinline)) double fv1d(long n, long t, double *restrict u0) {
    double *u = malloc(sizeof(double) * n), *v = malloc(sizeof(double) * n);
    double *s = malloc(sizeof(double) * n), *fl = malloc(sizeof(double) * n);
    memcpy(u, u0, sizeof(double) * n);
    for (long k = 0; k < t; k++) {
        step(n, u, s, fl, v);
        double *w = u;
        u = v;
        v = w;
    }
    double f = 0;
    for (long i = 0; i < n; i++) f += u[i] * u[i];
    free(u); free(v); free(s); free(fl);
    return 0.5 * f;
}

__attribute__((noinline)) void fv1d_hand(long n, long t, const double *restrict u0, double *restrict g) {
    double *st = malloc(sizeof(double) * n * (t + 1));
    double *s = malloc(sizeof(double) * n), *fl = malloc(sizeof(double) * n);
    double *ub = malloc(sizeof(double) * n), *sb = malloc(sizeof(double) * n), *fb = malloc(sizeof(double) * n);
    double *nb = malloc(sizeof(double) * n);
    memcpy(st, u0, sizeof(double) * n);
    for (long k = 0; k < t; k++) step(n, st + k * n, s, fl, st + (k + 1) * n);
    for (long i = 0; i < n; i++) ub[i] = st[t * n + i];
    for (long k = t - 1; k >= 0; k--) {
        const double *u = st + k * n;
        /* ub = adjoint of u(k+1); nb = adjoint of u(k) */
        for (long i = 0; i < n; i++) {
            long im = i == 0 ? n - 1 : i - 1, ip = i == n - 1 ? 0 : i + 1;
            double a = u[i] - u[im], b = u[ip] - u[i];
            s[i] = minmod(a, b);
            nb[i] = ub[i];
            fb[i] = -LAMBDA * ub[i] + LAMBDA * ub[ip];
            sb[i] = 0;
        }
        for (long i = 0; i < n; i++) {
            long ip = i == n - 1 ? 0 : i + 1;
            double ul = u[i] + 0.5 * s[i], ur = u[ip] - 0.5 * s[ip];
            double a = fmax(fabs(ul), fabs(ur));
            double f = fb[i];
            double ulb = f * (0.5 * ul + 0.5 * a), urb = f * (0.5 * ur - 0.5 * a);
            double ab = -0.5 * f * (ur - ul);
            if (fabs(ul) >= fabs(ur)) ulb += ab * copysign(1.0, ul);
            else urb += ab * copysign(1.0, ur);
            nb[i] += ulb;
            sb[i] += 0.5 * ulb;
            nb[ip] += urb;
            sb[ip] -= 0.5 * urb;
        }
        for (long i = 0; i < n; i++) {
            long im = i == 0 ? n - 1 : i - 1, ip = i == n - 1 ? 0 : i + 1;
            double a = u[i] - u[im], b = u[ip] - u[i];
            /* s = a when 0 < a <= b or b <= a < 0 (min/max pick a), b in the mirrored cases */
            double da = 0, db = 0;
            if (a > 0 && b > 0) { if (a < b) da = 1; else db = 1; }
            else if (a < 0 && b < 0) { if (a > b) da = 1; else db = 1; }
            nb[i] += sb[i] * (da - db);
            nb[im] -= sb[i] * da;
            nb[ip] += sb[i] * db;
        }
        double *w = ub; ub = nb; nb = w;
    }
    for (long i = 0; i < n; i++) g[i] += ub[i];
    free(st); free(s); free(fl); free(ub); free(sb); free(fb); free(nb);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 2000;
    T = nsizes > 1 ? sizes[1] : 500;
    X = bench_xmalloc(sizeof(double) * N);
    for (long i = 0; i < N; i++) X[i] = sin(2 * M_PI * i / N) + 0.5 + 0.2 * bench_urand(101, i);
    info->nparams = N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld T=%ld", N, T);
    info->size_metric = (double)N * T;
    info->fd_step = 1e-7;
    info->fd_rtol = 1e-4;
    return 0;
}
double bench_primal(void) { return fv1d(N, T, X); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * N);
    __enzyme_autodiff((void *)fv1d, enzyme_const, N, enzyme_const, T, enzyme_dup, X, g);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * N);
    fv1d_hand(N, T, X, g);
}
