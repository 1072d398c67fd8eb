/*
 * stencil — explicit time stepping of a 1-D heat equation with a nonlinear
 * reaction term, IN PLACE over T steps (issue 6's "loop overwriting an array
 * in place each iteration"):
 *
 *   u_i <- u_i + r (u_{i-1} - 2 u_i + u_{i+1}) - dt kappa u_i^3,  i = 1..n-2
 *
 * with u_0, u_{n-1} fixed (Dirichlet). The sweep updates u in place, carrying
 * the old left neighbour in a scalar, so each step is exactly the Jacobi
 * update of the previous state. Objective: f = 0.5 sum_i u_i(T)^2.
 * Parameters (flat): the initial state u[n] and kappa (x[n]).
 * Sizes: n T. The function overwrites its state argument, so every call
 * (primal and gradients alike) first copies the initial state into it.
 *
 * Tape minimum: a reverse sweep needs each step's state (the reaction term
 * is nonlinear), i.e. one copy of the state per step: 8 n T bytes (without
 * checkpointing). The hand-written adjoint stores exactly that.
 *
 * Built with -DSTENCIL_CHECKPOINT (benchmark stencil_ckpt) the time loop is an
 * __enzyme_checkpoint_for over the state: the gradient stores a snapshot
 * every ceil(sqrt(T)) steps and recomputes the steps in between.
 */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef STENCIL_CHECKPOINT
const char *bench_name = "stencil_ckpt";
#else
const char *bench_name = "stencil";
#endif

static long N, T;
static double *X;   /* u0[n], kappa */
static double *U;   /* work state */
static double *DU;  /* its shadow */
static const double R = 0.25, DT = 0.01;

#ifdef STENCIL_CHECKPOINT
#include <enzyme/checkpoint.h>
static void heat_step(int64_t t, double *u, long n, double r, double dt, const double *kappa) {
    (void)t;
    double k = kappa[0];
    double prev = u[0];
    for (long i = 1; i < n - 1; i++) {
        double old = u[i];
        u[i] = old + r * (prev - 2 * old + u[i + 1]) - dt * k * old * old * old;
        prev = old;
    }
}
#endif

__attribute__((noinline)) double heat(double *restrict u, long n, long steps, double r, double dt,
                                      const double *restrict kappa) {
#ifdef STENCIL_CHECKPOINT
    /* the time loop checkpointed: the state u is the region */
    __enzyme_checkpoint_for((void *)heat_step, 0, steps, enzyme_scheme, &EnzymeCkptPeriodic, (void *)0,
                            enzyme_checkpoint_region, u, n * sizeof(double), u, n, r, dt, kappa);
#else
    double k = kappa[0];
    for (long t = 0; t < steps; t++) {
        double prev = u[0];
        for (long i = 1; i < n - 1; i++) {
            double old = u[i];
            u[i] = old + r * (prev - 2 * old + u[i + 1]) - dt * k * old * old * old;
            prev = old;
        }
    }
#endif
    double f = 0;
    for (long i = 0; i < n; i++) f += u[i] * u[i];
    return 0.5 * f;
}

__attribute__((noinline)) void heat_grad_hand(double *restrict u, long n, long steps, double r, double dt,
                                              const double *restrict kappa, double *restrict du,
                                              double *restrict dkappa, double *restrict tape) {
    double k = kappa[0], dk = 0;
    for (long t = 0; t < steps; t++) {
        memcpy(tape + t * n, u, sizeof(double) * n);
        double prev = u[0];
        for (long i = 1; i < n - 1; i++) {
            double old = u[i];
            u[i] = old + r * (prev - 2 * old + u[i + 1]) - dt * k * old * old * old;
            prev = old;
        }
    }
    for (long i = 0; i < n; i++) du[i] += u[i];
    /* reverse: a = adjoint of the state after step t; becomes that before it.
       u_i' = u_i + r (u_{i-1} - 2 u_i + u_{i+1}) - dt k u_i^3 for interior i. */
    for (long t = steps - 1; t >= 0; t--) {
        const double *v = tape + t * n;
        double a_prev = du[0]; /* adjoint after the step, of the left neighbour */
        double a_cur = du[1];
        /* boundaries keep their value; they feed their interior neighbours */
        du[0] = a_prev + (n > 2 ? r * a_cur : 0);
        for (long i = 1; i < n - 1; i++) {
            double a_next = du[i + 1];
            double in_l = i - 1 >= 1 ? a_prev : 0;      /* u_i feeds u_{i-1}' if interior */
            double in_r = i + 1 <= n - 2 ? a_next : 0;  /* and u_{i+1}' if interior */
            double vi = v[i];
            dk -= a_cur * dt * vi * vi * vi;
            du[i] = a_cur * (1 - 2 * r - 3 * dt * k * vi * vi) + r * (in_l + in_r);
            a_prev = a_cur;
            a_cur = a_next;
        }
        if (n > 2) du[n - 1] = a_cur + r * a_prev;
    }
    dkappa[0] += dk;
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 1000;
    T = nsizes > 1 ? sizes[1] : 1000;
    if (N < 3 || T < 1) return 1;
    X = bench_xmalloc(sizeof(double) * (N + 1));
    U = bench_xmalloc(sizeof(double) * N);
    DU = bench_xmalloc(sizeof(double) * N);
    bench_fill(X, N, 71, -1, 1);
    X[N] = 1.0; /* kappa */
    info->nparams = N + 1;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld T=%ld", N, T);
    info->size_metric = (double)N * (double)T;
    info->min_tape_bytes = 8.0 * N * T;
    info->fd_coords = 40;
    return 0;
}

double bench_primal(void) {
    memcpy(U, X, sizeof(double) * N);
    return heat(U, N, T, R, DT, X + N);
}

void bench_grad_ferment(double *g) {
    memcpy(U, X, sizeof(double) * N);
    memset(g, 0, sizeof(double) * (N + 1));
    /* the shadow of u receives d f / d u(0) */
    __enzyme_autodiff((void *)heat, enzyme_dup, U, g, enzyme_const, N, enzyme_const, T, enzyme_const, R,
                      enzyme_const, DT, enzyme_dup, X + N, g + N);
}

void bench_grad_hand(double *g) {
    memcpy(U, X, sizeof(double) * N);
    memset(g, 0, sizeof(double) * (N + 1));
    double *tape = malloc(sizeof(double) * N * T);
    heat_grad_hand(U, N, T, R, DT, X + N, g, g + N, tape);
    free(tape);
}
