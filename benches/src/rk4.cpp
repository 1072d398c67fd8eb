/*
 * rk4 — a 1-D reaction-diffusion equation integrated with classical RK4, in
 * C++ with std::vector state (issue 19's "RK4 integrator with boundary
 * selects", four stages, scratch arrays reused every step):
 *
 *   u_i' = F_i(u) = d (l_i - 2 u_i + r_i) + k u_i (1 - u_i),
 *   l_i = i > 0 ? u_{i-1} : u_i,   r_i = i < n-1 ? u_{i+1} : u_i   (no flux)
 *
 * S steps of size h = 0.05 from u(0) = u0. Objective: f = sum_i (u_i(T) - 0.5)^2.
 * Parameters (flat): u0[n], then d and k. Sizes: n S.
 *
 * Built with -DRK4_CHECKPOINT (benchmark rk4_ckpt) the time loop is an
 * __enzyme_checkpoint_for whose regions are the state and the five scratch
 * arrays (Enzyme's checkpointing interface): the gradient stores a snapshot
 * every ceil(sqrt(S)) steps (-ferment-checkpoint=K: every K) and recomputes
 * the steps in between during the reverse sweep.
 *
 * Hand-written adjoint: the forward sweep stores the four stage inputs of
 * every step (4 n S doubles); the reverse sweep recomputes the stage
 * derivatives from them and pulls the adjoint back through the stages.
 */
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>
extern "C" {
#include "bench.h"
}
#include <enzyme/checkpoint.h>
#include <ferment.h>

extern "C" const char *bench_name;
#ifdef RK4_CHECKPOINT
const char *bench_name = "rk4_ckpt";
#else
const char *bench_name = "rk4";
#endif

static long N, S;
static double *X; /* u0[n], d, k */
static const double H = 0.05;

static inline void rhs(long n, const double *y, double d, double k, double *out) {
    for (long i = 0; i < n; i++) {
        double l = i > 0 ? y[i - 1] : y[i];
        double r = i < n - 1 ? y[i + 1] : y[i];
        out[i] = d * (l - 2 * y[i] + r) + k * y[i] * (1 - y[i]);
    }
}

/* One RK4 step of u in place, with the scratch arrays of the caller. */
static inline void rk4_step(long n, double *u, double *k1, double *k2, double *k3, double *k4, double *tmp,
                            double d, double k) {
    rhs(n, u, d, k, k1);
    for (long i = 0; i < n; i++) tmp[i] = u[i] + 0.5 * H * k1[i];
    rhs(n, tmp, d, k, k2);
    for (long i = 0; i < n; i++) tmp[i] = u[i] + 0.5 * H * k2[i];
    rhs(n, tmp, d, k, k3);
    for (long i = 0; i < n; i++) tmp[i] = u[i] + H * k3[i];
    rhs(n, tmp, d, k, k4);
    for (long i = 0; i < n; i++) u[i] += H / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
}

#ifdef RK4_CHECKPOINT
static void ckpt_step(int64_t, double *u, double *k1, double *k2, double *k3, double *k4, double *tmp,
                      const double *coef, long n) {
    rk4_step(n, u, k1, k2, k3, k4, tmp, coef[0], coef[1]);
}
#endif

__attribute__((noinline)) double rk4_objective(long n, long steps, const double *__restrict u0,
                                               const double *__restrict coef) {
    std::vector<double> u(u0, u0 + n), k1(n), k2(n), k3(n), k4(n), tmp(n);
#ifdef RK4_CHECKPOINT
    size_t bytes = n * sizeof(double);
    __enzyme_checkpoint_for((void *)ckpt_step, 0, steps, enzyme_scheme, &EnzymeCkptPeriodic, nullptr,
                            enzyme_checkpoint_region, u.data(), bytes, enzyme_checkpoint_region, k1.data(),
                            bytes, enzyme_checkpoint_region, k2.data(), bytes, enzyme_checkpoint_region,
                            k3.data(), bytes, enzyme_checkpoint_region, k4.data(), bytes,
                            enzyme_checkpoint_region, tmp.data(), bytes, u.data(), k1.data(), k2.data(),
                            k3.data(), k4.data(), tmp.data(), coef, n);
#else
    double d = coef[0], k = coef[1];
    for (long s = 0; s < steps; s++) rk4_step(n, u.data(), k1.data(), k2.data(), k3.data(), k4.data(), tmp.data(), d, k);
#endif
    double f = 0;
    for (long i = 0; i < n; i++) f += (u[i] - 0.5) * (u[i] - 0.5);
    return f;
}

/* dy += J_y(y)^T a; dd, dk += the coefficient adjoints */
static void rhs_vjp(long n, const double *y, double d, double k, const double *a, double *dy, double &dd,
                    double &dk) {
    double sd = 0, sk = 0;
    for (long i = 0; i < n; i++) {
        double l = i > 0 ? y[i - 1] : y[i];
        double r = i < n - 1 ? y[i + 1] : y[i];
        sd += a[i] * (l - 2 * y[i] + r);
        sk += a[i] * y[i] * (1 - y[i]);
        dy[i] += a[i] * (-2 * d + k * (1 - 2 * y[i]));
        dy[i > 0 ? i - 1 : i] += a[i] * d;
        dy[i < n - 1 ? i + 1 : i] += a[i] * d;
    }
    dd += sd;
    dk += sk;
}

__attribute__((noinline)) void rk4_grad_hand(long n, long steps, const double *u0, const double *coef,
                                             double *du0, double *dcoef) {
    double d = coef[0], k = coef[1], dd = 0, dk = 0;
    /* the stage inputs y, y1, y2, y3 of every step */
    std::vector<double> tape(4 * n * steps), u(u0, u0 + n), k1(n), k2(n), k3(n), k4(n);
    std::vector<double> a(n), a1(n), a2(n), a3(n), a4(n), g(n);
    for (long s = 0; s < steps; s++) {
        double *y = &tape[4 * n * s], *y1 = y + n, *y2 = y1 + n, *y3 = y2 + n;
        std::memcpy(y, u.data(), n * sizeof(double));
        rhs(n, y, d, k, k1.data());
        for (long i = 0; i < n; i++) y1[i] = y[i] + 0.5 * H * k1[i];
        rhs(n, y1, d, k, k2.data());
        for (long i = 0; i < n; i++) y2[i] = y[i] + 0.5 * H * k2[i];
        rhs(n, y2, d, k, k3.data());
        for (long i = 0; i < n; i++) y3[i] = y[i] + H * k3[i];
        rhs(n, y3, d, k, k4.data());
        for (long i = 0; i < n; i++) u[i] = y[i] + H / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    }
    for (long i = 0; i < n; i++) a[i] = 2 * (u[i] - 0.5);
    for (long s = steps - 1; s >= 0; s--) {
        const double *y = &tape[4 * n * s], *y1 = y + n, *y2 = y1 + n, *y3 = y2 + n;
        /* u' = y + h/6 (k1 + 2 k2 + 2 k3 + k4), a = adjoint of u' */
        for (long i = 0; i < n; i++) {
            a1[i] = H / 6.0 * a[i];
            a2[i] = H / 3.0 * a[i];
            a3[i] = H / 3.0 * a[i];
            a4[i] = H / 6.0 * a[i];
            g[i] = 0;
        }
        rhs_vjp(n, y3, d, k, a4.data(), g.data(), dd, dk); /* k4 = F(y3), y3 = y + h k3 */
        for (long i = 0; i < n; i++) {
            a[i] += g[i];
            a3[i] += H * g[i];
            g[i] = 0;
        }
        rhs_vjp(n, y2, d, k, a3.data(), g.data(), dd, dk); /* k3 = F(y2), y2 = y + h/2 k2 */
        for (long i = 0; i < n; i++) {
            a[i] += g[i];
            a2[i] += 0.5 * H * g[i];
            g[i] = 0;
        }
        rhs_vjp(n, y1, d, k, a2.data(), g.data(), dd, dk); /* k2 = F(y1), y1 = y + h/2 k1 */
        for (long i = 0; i < n; i++) {
            a[i] += g[i];
            a1[i] += 0.5 * H * g[i];
            g[i] = 0;
        }
        rhs_vjp(n, y, d, k, a1.data(), a.data(), dd, dk); /* k1 = F(y) */
    }
    for (long i = 0; i < n; i++) du0[i] += a[i];
    dcoef[0] += dd;
    dcoef[1] += dk;
}

/* ---------------- bench interface ---------------- */
extern "C" int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 100000;
    S = nsizes > 1 ? sizes[1] : 100;
    if (N < 2 || S < 1) return 1;
    X = static_cast<double *>(bench_xmalloc(sizeof(double) * (N + 2)));
    bench_fill(X, N, 81, 0.1, 0.9);
    X[N] = 0.4;     /* d: diffusion (h d well inside RK4's stability region) */
    X[N + 1] = 0.5; /* k: reaction rate (u -> 1 slowly: u0 still matters at t = 5) */
    info->nparams = N + 2;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld steps=%ld", N, S);
    info->size_metric = (double)N * (double)S;
    /* without checkpointing, one state per step; the hand-written adjoint keeps four */
    info->min_tape_bytes = 8.0 * N * S;
    info->fd_coords = 24;
    info->fd_step = 1e-4; /* f sums n terms: a smaller step drowns in rounding */
    return 0;
}

extern "C" double bench_primal(void) { return rk4_objective(N, S, X, X + N); }

extern "C" void bench_grad_ferment(double *g) {
    std::memset(g, 0, sizeof(double) * (N + 2));
    __enzyme_autodiff((void *)rk4_objective, enzyme_const, N, enzyme_const, S, enzyme_dup, X, g, enzyme_dup, X + N,
                      g + N);
}

extern "C" void bench_grad_hand(double *g) {
    std::memset(g, 0, sizeof(double) * (N + 2));
    rk4_grad_hand(N, S, X, X + N, g, g + N);
}
