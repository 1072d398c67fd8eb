/*
 * kmeans — the k-means objective over std::vector data (issue 19's "forward-over-reverse taping
 * what it could recompute"):
 *
 *   f(C) = sum_i min_k |x_i - c_k|^2,   x_i in R^d (n points, fixed), c_k in R^d (k centers).
 *
 * Parameters (flat): the centers C[k][d]. Sizes: k n d.
 *
 * Two benchmarks from this file:
 *   kmeans      — the gradient, reverse mode (__enzyme_autodiff of the objective);
 *   kmeans_hvp  — (built with -DKMEANS_HVP) one Newton-direction step's pieces: the gradient g and
 *                 the Hessian-vector product H v for a fixed direction v, by forward mode over the
 *                 reverse-mode gradient (__enzyme_fwddiff of a function that calls
 *                 __enzyme_autodiff on the objective). The harness's "objective" is then
 *                 phi(C) = g_hand(C) . v, whose gradient is H v (H symmetric): the hand-written
 *                 H v is checked against central differences of the hand-written gradient.
 *
 * Hand-written derivatives: one scan finds each point's nearest center a(i) (ties to the first,
 * as std::min keeps the first); g_k = sum_{i: a(i)=k} 2 (c_k - x_i), and H is block diagonal with
 * H_kk = 2 n_k I (n_k points assigned to k), so (H v)_k = 2 n_k v_k.
 */
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>
extern "C" {
#include "bench.h"
}
#include <ferment.h>

extern "C" const char *bench_name;
#ifdef KMEANS_HVP
const char *bench_name = "kmeans_hvp";
#else
const char *bench_name = "kmeans";
#endif

static long K, N, D;
static std::vector<double> Xv;  /* points, n x d */
static std::vector<double> Cv;  /* centers, k x d: the flat parameter vector */
static std::vector<double> Gv;  /* gradient (ferment) */
#ifdef KMEANS_HVP
static std::vector<double> Vv;  /* the direction v */
static std::vector<double> HVv; /* H v (ferment) */
#endif

__attribute__((noinline)) double kmeans_objective(const std::vector<double> &X, const std::vector<double> &C,
                                                  long n, long k, long d) {
    double f = 0;
    for (long i = 0; i < n; i++) {
        double best = INFINITY;
        for (long c = 0; c < k; c++) {
            double s = 0;
            for (long j = 0; j < d; j++) {
                double t = X[i * d + j] - C[c * d + j];
                s += t * t;
            }
            best = std::min(best, s);
        }
        f += best;
    }
    return f;
}

/* The reverse-mode gradient: G = df/dC. */
__attribute__((noinline)) void kmeans_grad(const std::vector<double> &C, std::vector<double> &G) {
    std::fill(G.begin(), G.end(), 0.0);
    __enzyme_autodiff((void *)kmeans_objective, enzyme_const, &Xv, enzyme_dup, &C, &G, enzyme_const, N,
                      enzyme_const, K, enzyme_const, D);
}

/* nearest center of every point (first on ties) and the counts n_k */
static void assign(const double *C, std::vector<long> &a, std::vector<long> &cnt) {
    std::fill(cnt.begin(), cnt.end(), 0);
    for (long i = 0; i < N; i++) {
        const double *x = &Xv[i * D];
        double best = INFINITY;
        long arg = 0;
        for (long c = 0; c < K; c++) {
            const double *cc = C + c * D;
            double s = 0;
            for (long j = 0; j < D; j++) {
                double t = x[j] - cc[j];
                s += t * t;
            }
            if (s < best) {
                best = s;
                arg = c;
            }
        }
        a[i] = arg;
        cnt[arg]++;
    }
}

/* hand-written gradient; with v, also H v into hv */
__attribute__((noinline)) static void kmeans_grad_hand(const double *C, double *g, const double *v, double *hv) {
    std::vector<long> a(N), cnt(K);
    assign(C, a, cnt);
    std::memset(g, 0, sizeof(double) * K * D);
    for (long i = 0; i < N; i++) {
        const double *x = &Xv[i * D], *c = C + a[i] * D;
        double *gc = g + a[i] * D;
        for (long j = 0; j < D; j++) gc[j] += 2 * (c[j] - x[j]);
    }
    if (hv)
        for (long c = 0; c < K; c++)
            for (long j = 0; j < D; j++) hv[c * D + j] = 2.0 * cnt[c] * v[c * D + j];
}

/* ---------------- bench interface ---------------- */
extern "C" int bench_init(int nsizes, const long *sizes, bench_info *info) {
    K = nsizes > 0 ? sizes[0] : 25;
    N = nsizes > 1 ? sizes[1] : 1000;
    D = nsizes > 2 ? sizes[2] : 16;
    if (K < 1 || N < 1 || D < 1) return 1;
    Xv.assign(N * D, 0.0);
    Cv.assign(K * D, 0.0);
    Gv.assign(K * D, 0.0);
    bench_fill(Xv.data(), N * D, 91, -1.0, 1.0);
    /* centers: points jittered (every center keeps some points) */
    for (long c = 0; c < K; c++)
        for (long j = 0; j < D; j++) Cv[c * D + j] = Xv[(c % N) * D + j] + 0.2 * (bench_urand(92, c * D + j) - 0.5);
#ifdef KMEANS_HVP
    Vv.assign(K * D, 0.0);
    HVv.assign(K * D, 0.0);
    bench_fill(Vv.data(), K * D, 93, -1.0, 1.0);
#endif
    info->nparams = K * D;
    info->x = Cv.data();
    snprintf(info->size_label, sizeof info->size_label, "k=%ld n=%ld d=%ld", K, N, D);
    info->size_metric = (double)K * (double)N * (double)D;
    /* the hand-written derivative keeps one assignment per point */
    info->min_tape_bytes = 8.0 * N;
    info->fd_coords = 24;
    info->fd_step = 1e-5; /* piecewise quadratic: exact up to rounding while no assignment changes */
    return 0;
}

#ifndef KMEANS_HVP
extern "C" double bench_primal(void) { return kmeans_objective(Xv, Cv, N, K, D); }

extern "C" void bench_grad_ferment(double *g) {
    kmeans_grad(Cv, Gv);
    std::memcpy(g, Gv.data(), sizeof(double) * K * D);
}

extern "C" void bench_grad_hand(double *g) { kmeans_grad_hand(Cv.data(), g, nullptr, nullptr); }
#else
/* phi(C) = g(C) . v (hand-written gradient): its gradient is H v */
extern "C" double bench_primal(void) {
    std::vector<double> g(K * D);
    kmeans_grad_hand(Cv.data(), g.data(), nullptr, nullptr);
    double s = 0;
    for (long i = 0; i < K * D; i++) s += g[i] * Vv[i];
    return s;
}

/* g and H v by forward mode over the reverse-mode gradient */
extern "C" void bench_grad_ferment(double *hv) {
    __enzyme_fwddiff((void *)kmeans_grad, enzyme_dup, &Cv, &Vv, enzyme_dup, &Gv, &HVv);
    std::memcpy(hv, HVv.data(), sizeof(double) * K * D);
}

/* g and H v by hand */
extern "C" void bench_grad_hand(double *hv) { kmeans_grad_hand(Cv.data(), Gv.data(), Vv.data(), hv); }
#endif
